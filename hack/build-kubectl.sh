#!/usr/bin/env bash
# build-kubectl.sh builds kubectl (k8s.io/kubernetes/cmd/kubectl) from tools/kubectl/go.mod
# into bin/ (or $PODCRED_BIN_DIR), version stamped like hack/build-tools.sh stamps kube-apiserver.
# The release tests run it as a real client of the sandbox: `kubectl podcred check ...` and
# `kubectl plugin list`. tools/kubectl is its own module (kubectl needs kustomize, which the sandbox's
# tools do not; tools/go.sum stamps the long tool build), and must pin the same k8s.io/kubernetes
# as tools/go.mod: this script refuses to build when the two differ.
# It does nothing when bin/kubectl exists and bin/.kubectl-stamp matches the hash of
# tools/kubectl/go.{mod,sum} and this script. Called by `make tools`; about 2 minutes warm.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${PODCRED_BIN_DIR:-$root/bin}"
mod="$root/tools/kubectl"
stamp="$bin/.kubectl-stamp"

say() { printf '==> %s\n' "$*" >&2; }

pinned() { awk -v m=k8s.io/kubernetes '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }
kube_version="$(pinned "$mod/go.mod")"
tools_version="$(pinned "$root/tools/go.mod")"
if [[ -z "$kube_version" || "$kube_version" != "$tools_version" ]]; then
	echo "build-kubectl: tools/kubectl/go.mod pins k8s.io/kubernetes '$kube_version', tools/go.mod '$tools_version': make them equal" >&2
	exit 1
fi
kube_major="${kube_version#v}"; kube_major="${kube_major%%.*}"
kube_minor="${kube_version#v*.}"; kube_minor="${kube_minor%%.*}"

want="$(cat "$mod/go.mod" "$mod/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$bin/kubectl" && "$want" == "$(cat "$stamp" 2>/dev/null || true)" ]]; then
	say "kubectl $kube_version is up to date in $bin"
	exit 0
fi
command -v go >/dev/null || { echo "build-kubectl: go is not installed" >&2; exit 1; }
mkdir -p "$bin"
rm -f "$stamp"
start=$SECONDS
say "building kubectl $kube_version..."
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=$kube_major"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$kube_minor"
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/kubectl" k8s.io/kubernetes/cmd/kubectl)
"$bin/kubectl" version --client >&2
echo "$want" >"$stamp"
say "kubectl built in $((SECONDS - start))s into $bin"
