//go:build tools

// Package tools pins the binaries that podcred's sandbox runs: kube-apiserver,
// etcd (through ./etcd) and ec2-metadata-mock, and the node's kubelet,
// kube-controller-manager and kube-scheduler (same Kubernetes version).
// `make tools` builds them into ../bin. The container runtime has its own
// module, ./containerd, so that its dependencies do not move Kubernetes'.
package tools

import (
	_ "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
