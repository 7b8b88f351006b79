# syntax=docker/dockerfile:1
#
# podcred images: static, stripped Go binaries podcred-agent and podcred-preflight.
#
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/podcred/podcred-agent:v0.1.0 .
#       default target: distroless static, nonroot (65532), no shell. ENTRYPOINT podcred-agent.
#       Used by deploy/job.yaml, the init container and the Argo workflow step.
#   docker build --build-arg VERSION=v0.1.0 --target probe -t ghcr.io/podcred/podcred-agent:v0.1.0-probe .
#       same binaries on busybox, nonroot (65532). Only for a Litmus cmdProbe with `source`:
#       litmus-go starts that pod with `/bin/sh -c "sleep 10000"` and runs the probe command via
#       `/bin/sh -c` (litmuschaos/litmus-go pkg/probe/cmdprobe.go), which distroless cannot do.
#   Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 ... (the build stage
#   cross-compiles natively; no emulation needed).
#
# Requires BuildKit (default in current Docker; cache mounts below).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Module downloads are their own layer: it is rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# CGO off: fully static binaries that run on distroless/static. -trimpath: no build paths in
# the binary. -s -w: no symbol table or DWARF (smaller). The version is stamped into
# internal/version. Both programs are built; cmd/preflight must exist in the build context.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    mkdir -p /out; \
    for prog in agent preflight; do \
      CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
        go build -trimpath \
          -ldflags "-s -w -X github.com/podcred/podcred/internal/version.Version=${VERSION}" \
          -o "/out/podcred-${prog}" "./cmd/${prog}"; \
    done

# Shell-bearing variant for Litmus cmdProbe source pods (see header). Not the default target.
FROM busybox:1.37 AS probe
COPY --from=build /out/podcred-agent /out/podcred-preflight /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/podcred-agent"]

# Default target (last stage): distroless static, user nonroot.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/podcred-agent /podcred-agent
COPY --from=build /out/podcred-preflight /podcred-preflight
USER 65532:65532
ENTRYPOINT ["/podcred-agent"]
