//go:build tools

// Package kubectl pins the kubectl that podcred's release tests run as a real
// client of the sandbox (`kubectl podcred ...`, `kubectl plugin list`). It is
// k8s.io/kubernetes/cmd/kubectl at the version ../go.mod pins for
// kube-apiserver, in a module of its own: kubectl needs modules (kustomize)
// the sandbox's tools do not, and ../go.sum stamps the long tool build.
// hack/build-kubectl.sh builds it into ../../bin and refuses a version that
// differs from ../go.mod's.
package kubectl

import (
	_ "k8s.io/kubernetes/cmd/kubectl"
)
