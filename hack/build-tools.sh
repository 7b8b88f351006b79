#!/usr/bin/env bash
# build-tools.sh builds the binaries the sandbox runs, from the Go modules pinned
# in tools/go.mod, into bin/ (or $PODCRED_BIN_DIR):
#   kube-apiserver     k8s.io/kubernetes/cmd/kube-apiserver, version stamped
#   etcd               tools/etcd (a wrapper around go.etcd.io/etcd/server/v3/etcdmain)
#   ec2-metadata-mock  github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock
# It does nothing when the binaries exist and bin/.tools-stamp matches the hash of
# tools/go.mod, tools/go.sum, tools/etcd/main.go and this script. It then checks that
# python3 can import moto's server (the sandbox's AWS emulator) and fails with the
# install hint when it cannot. Called by `make tools`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${PODCRED_BIN_DIR:-$root/bin}"
tools="$root/tools"
stamp="$bin/.tools-stamp"

say() { printf '==> %s\n' "$*" >&2; }

kube_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$tools/go.mod")"
imds_version="$(awk '$1 == "github.com/aws/amazon-ec2-metadata-mock" { print $2; exit }' "$tools/go.mod")"
if [[ -z "$kube_version" || -z "$imds_version" ]]; then
	echo "build-tools: cannot read the pinned versions from $tools/go.mod" >&2
	exit 1
fi
kube_major="${kube_version#v}"; kube_major="${kube_major%%.*}"
kube_minor="${kube_version#v*.}"; kube_minor="${kube_minor%%.*}"

want="$(cat "$tools/go.mod" "$tools/go.sum" "$tools/etcd/main.go" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"

if [[ "$want" == "$have" && -x "$bin/kube-apiserver" && -x "$bin/etcd" && -x "$bin/ec2-metadata-mock" ]]; then
	say "tools are up to date in $bin (kube-apiserver $kube_version, etcd, ec2-metadata-mock $imds_version)"
else
	command -v go >/dev/null || { echo "build-tools: go is not installed" >&2; exit 1; }
	mkdir -p "$bin"
	rm -f "$stamp"
	cd "$tools"
	start=$SECONDS

	say "building kube-apiserver $kube_version (about 7 minutes on a cold cache)..."
	ldflags="-s -w"
	ldflags+=" -X k8s.io/component-base/version.gitVersion=$kube_version"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=$kube_major"
	ldflags+=" -X k8s.io/component-base/version.gitMinor=$kube_minor"
	go build -trimpath -ldflags "$ldflags" -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
	say "kube-apiserver built ($((SECONDS - start))s)"

	say "building etcd..."
	go build -trimpath -ldflags "-s -w" -o "$bin/etcd" ./etcd

	say "building ec2-metadata-mock $imds_version..."
	go build -trimpath -ldflags "-s -w" -o "$bin/ec2-metadata-mock" github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock

	"$bin/kube-apiserver" --version >&2
	echo "$want" >"$stamp"
	say "tools built in $((SECONDS - start))s into $bin"
fi

if ! command -v python3 >/dev/null; then
	echo "build-tools: python3 is missing; the sandbox runs moto with it: install python3, then: pip install 'moto[server]'" >&2
	exit 1
fi
if ! python3 -c 'import moto.server, flask' 2>/dev/null; then
	echo "build-tools: python3 cannot import moto's server: pip install 'moto[server]'" >&2
	exit 1
fi
say "moto $(python3 -c 'import moto; print(moto.__version__)') is importable"
