package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/sandbox/world"
)

// TestPodIdentityScenariosRunAsRealPods loads the EKS Pod Identity world
// (issue 13) and runs each of its scenarios as a real pod: the node's
// mutating webhook injects the Pod Identity env and projected token (audience
// pods.eks.amazonaws.com) for ServiceAccounts with an association, the
// kubelet projects the token, and the agent in the pod calls the sandbox's
// loopback Pod Identity agent. Each must end with the verdict and check the
// world names. The demo world is loaded back afterwards for the other tests.
func TestPodIdentityScenariosRunAsRealPods(t *testing.T) {
	s := sb(t)
	pi, err := world.LoadWorld(filepath.Join("..", "..", "..", "examples", "worlds", "pod-identity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	demo := s.World()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := s.Load(ctx, pi); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Load(context.Background(), demo); err != nil {
			t.Errorf("loading the demo world back: %v", err)
		}
	})
	pods := 0
	for _, sc := range s.World().Scenarios {
		if ok, why := s.CanRunInPod(sc); !ok {
			t.Errorf("%s cannot run as a pod: %s", sc.Name, why)
			continue
		}
		pods++
		t.Run(sc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			run, err := s.RunAgentInPod(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			if ok, why := run.AsExpected(); !ok {
				t.Errorf("%s (exit %d)", why, run.ExitCode)
			}
		})
	}
	if pods != 6 {
		t.Errorf("%d Pod Identity scenarios ran as pods, want 6", pods)
	}
}
