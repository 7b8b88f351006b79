#!/usr/bin/env bash
# build-tools.sh builds the binaries the sandbox runs, from the Go modules pinned
# in tools/go.mod, into bin/ (or $PODCRED_BIN_DIR):
#   kube-apiserver     k8s.io/kubernetes/cmd/kube-apiserver, version stamped
#   etcd               tools/etcd (a wrapper around go.etcd.io/etcd/server/v3/etcdmain)
#   ec2-metadata-mock  github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock
#   kubelet, kube-controller-manager, kube-scheduler
#                      the sandbox node, same module and stamping as kube-apiserver
#   containerd, containerd-shim-runc-v2, ctr, cni/loopback
#                      tools/containerd (its own module: containerd 2.x, CNI plugins)
# and installs runc with apt-get when it is missing (the node's OCI runtime).
# It does nothing when the binaries exist and bin/.tools-stamp matches the hash of
# tools/go.mod, tools/go.sum, tools/etcd/main.go, tools/containerd/go.{mod,sum} and this script. It then checks that
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

want="$(cat "$tools/go.mod" "$tools/go.sum" "$tools/etcd/main.go" "$tools/containerd/go.mod" "$tools/containerd/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
node_bins=(kubelet kube-controller-manager kube-scheduler containerd containerd-shim-runc-v2 ctr cni/loopback)
have_all=1
for b in kube-apiserver etcd ec2-metadata-mock "${node_bins[@]}"; do
	[[ -x "$bin/$b" ]] || have_all=0
done
have="$(cat "$stamp" 2>/dev/null || true)"

if [[ "$want" == "$have" && "$have_all" == 1 ]]; then
	say "tools are up to date in $bin (kubernetes $kube_version, etcd, ec2-metadata-mock $imds_version, containerd)"
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

	for c in kubelet kube-controller-manager kube-scheduler; do
		say "building $c $kube_version..."
		go build -trimpath -ldflags "$ldflags" -o "$bin/$c" "k8s.io/kubernetes/cmd/$c"
	done

	containerd_version="$(awk '$1 == "github.com/containerd/containerd/v2" { print $2; exit }' "$tools/containerd/go.mod")"
	say "building containerd $containerd_version, its runc shim, ctr and the CNI loopback plugin..."
	(
		cd "$tools/containerd"
		ctags="no_btrfs no_devmapper no_zfs no_aufs"
		cflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version"
		for c in containerd containerd-shim-runc-v2 ctr; do
			CGO_ENABLED=0 go build -trimpath -tags "$ctags" -ldflags "$cflags" -o "$bin/$c" "github.com/containerd/containerd/v2/cmd/$c"
		done
		mkdir -p "$bin/cni"
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/cni/loopback" github.com/containernetworking/plugins/plugins/main/loopback
	)

	"$bin/kube-apiserver" --version >&2
	echo "$want" >"$stamp"
	say "tools built in $((SECONDS - start))s into $bin"
fi

# runc is the node's OCI runtime (Debian's runs here with cgroupfs on cgroup v1).
if ! command -v runc >/dev/null; then
	if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
		say "installing runc with apt-get..."
		DEBIAN_FRONTEND=noninteractive apt-get install -y runc >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y runc >/dev/null; }
	fi
	command -v runc >/dev/null || { echo "build-tools: runc is missing; the sandbox node runs containers with it: apt-get install -y runc" >&2; exit 1; }
fi
say "$(runc --version | head -1)"

if ! command -v python3 >/dev/null; then
	echo "build-tools: python3 is missing; the sandbox runs moto with it: install python3, then: pip install 'moto[server]'" >&2
	exit 1
fi
if ! python3 -c 'import moto.server, flask' 2>/dev/null; then
	echo "build-tools: python3 cannot import moto's server: pip install 'moto[server]'" >&2
	exit 1
fi
say "moto $(python3 -c 'import moto; print(moto.__version__)') is importable"
