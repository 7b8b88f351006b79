//go:build tools

// Package tools pins the binaries that podcred's sandbox runs: kube-apiserver,
// etcd (through ./etcd) and ec2-metadata-mock. `make tools` builds them into ../bin.
package tools

import (
	_ "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
