# podcred — make targets. `make demo` and `make test` do all set-up on a fresh machine.
SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X github.com/podcred/podcred/internal/version.Version=$(VERSION)
GOBUILD     := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# Never let a test reach a real IMDS or AWS: loopback endpoints are set per test.
export AWS_EC2_METADATA_DISABLED := true

.PHONY: all build tools test unit e2e demo bench lint fmt vet fuzz clean release-tools release-snapshot release-test

all: build

## build: static, stripped podcred binaries into bin/
build:
	@mkdir -p $(BIN)
	$(GOBUILD) -o $(BIN)/podcred-agent ./cmd/agent
	@if [ -d cmd/preflight ]; then $(GOBUILD) -o $(BIN)/podcred-preflight ./cmd/preflight; fi
	@# the kubectl plugin: the same program; under this name it is `kubectl podcred` (bin/ on PATH)
	@if [ -d cmd/preflight ]; then ln -f $(BIN)/podcred-preflight $(BIN)/kubectl-podcred; fi
	@if [ -d cmd/sandbox ]; then $(GOBUILD) -o $(BIN)/podcred-sandbox ./cmd/sandbox; fi
	$(GOBUILD) -o $(BIN)/podcred-pause ./internal/sandbox/image/pause

## tools: kube-apiserver, etcd and ec2-metadata-mock at pinned versions (cached in bin/), and kubectl
tools:
	@bash hack/build-tools.sh
	@bash hack/build-kubectl.sh

## lint: gofmt and go vet must be clean
lint: fmt vet
fmt:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
vet:
	$(GO) vet ./...

## unit: unit tests and fuzz seed corpora (no sandbox needed)
unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v -e /test/e2e -e /test/kubectlplugin)

## e2e: end-to-end tests against the sandbox (real apiserver, moto, STS front, binaries)
e2e: tools build
	PODCRED_BIN=$(BIN) $(GO) test -count=1 -timeout 30m ./test/e2e/...

## test: every test — lint, unit, sandbox integration and end-to-end, and the release snapshot's
test: tools build lint release-snapshot
	PODCRED_BIN=$(BIN) $(GO) test -count=1 -timeout 40m ./...
	cd tools/release && $(GO) test -count=1 ./...

## demo: the tour on the sandbox — deploy/job.yaml on the real node, then the healthy SA and the classic misconfigurations
demo: tools build
	$(BIN)/podcred-sandbox demo --bin-dir $(BIN) --node

## bench: side-by-side benchmarks, results in bench/results.md
bench: tools build
	@bash hack/bench.sh

## fuzz: run every fuzz target for FUZZTIME (default 1m) each
FUZZTIME ?= 1m
fuzz:
	@bash hack/fuzz.sh $(FUZZTIME)

## release-snapshot: release archives (linux/darwin x amd64/arm64), checksums, SBOMs and the krew manifest
## in dist/ with goreleaser (.goreleaser.yaml); offline (GOPROXY=off once the modules are downloaded), nothing published
release-tools:
	@bash hack/build-release-tools.sh
release-snapshot: release-tools
	$(GO) mod download
	PATH="$(BIN):$$PATH" GOPROXY=off GOFLAGS=-mod=readonly $(BIN)/goreleaser release --snapshot --clean
## release-test: the release snapshot's checks (tools/release: archives, checksums, SBOMs, krew manifest, .dockerignore)
release-test: release-snapshot
	cd tools/release && $(GO) test -count=1 ./...

clean:
	rm -rf dist .sandbox
	rm -f $(BIN)/podcred-* $(BIN)/kubectl-podcred
