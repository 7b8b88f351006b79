//go:build tools

// Package tools pins the sandbox node's container runtime: containerd 2.x, its
// runc shim and ctr, and the CNI loopback plugin. It is its own module so that
// containerd's dependencies never move the Kubernetes pins in ../go.mod.
// `make tools` builds them into ../../bin (the plugin into bin/cni/).
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
	_ "github.com/containernetworking/plugins/plugins/main/loopback"
)
