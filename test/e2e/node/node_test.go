package node

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
)

func TestTheNodeIsReadyAndRunsOnLoopback(t *testing.T) {
	s := sb(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := s.ControlPlane().Client.CoreV1().Nodes().Get(ctx, controlplane.KubeletNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		t.Fatalf("node %s is not Ready: %+v", n.Name, n.Status.Conditions)
	}
	if v := n.Status.NodeInfo.KubeletVersion; v != "v1.37.2" {
		t.Errorf("kubelet version %q", v)
	}
	if rt := n.Status.NodeInfo.ContainerRuntimeVersion; rt == "" || rt[:13] != "containerd://" {
		t.Errorf("container runtime %q, want containerd", rt)
	}
}
