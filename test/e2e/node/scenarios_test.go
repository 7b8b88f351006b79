package node

import (
	"context"
	"testing"
	"time"
)

// TestDemoScenariosRunAsRealPods runs every scenario of the demo world that a
// kubelet can reproduce as a real pod on the node (all but the expired
// token) and wants the verdict and check the world expects.
func TestDemoScenariosRunAsRealPods(t *testing.T) {
	s := sb(t)
	pods := 0
	for _, sc := range s.World().Scenarios {
		ok, why := s.CanRunInPod(sc)
		if !ok {
			t.Logf("%s stays a local process: %s", sc.Name, why)
			continue
		}
		pods++
		t.Run(sc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
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
	if pods < len(s.World().Scenarios)-1 {
		t.Errorf("only %d of %d scenarios ran as pods", pods, len(s.World().Scenarios))
	}
}
