package main

import (
	"fmt"

	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/report"
)

// preflightArgs are podcred-preflight's arguments for a scenario: the
// experiment's SDK when the scenario names one, and --cluster when the world
// has Pod Identity associations (preflight looks them up by cluster).
func preflightArgs(w *world.World, sc world.Scenario) []string {
	args := []string{"check", "-n", sc.Namespace, "--service-account", sc.ServiceAccount, "--format", "json"}
	if sc.ExperimentSDK != "" {
		args = append(args, "--experiment-sdk", sc.ExperimentSDK)
	}
	if w != nil && len(w.PodIdentityAssociations) > 0 {
		args = append(args, "--cluster", w.Cluster.Name)
	}
	return args
}

// expectedColumn is the EXPECTED column: the agent's verdict and its check.
func expectedColumn(sc world.Scenario) string {
	if sc.Check == "" {
		return sc.Expect
	}
	return sc.Expect + " (" + sc.Check + ")"
}

// preflightAsExpected judges r against sc.Preflight and sc.PreflightCheck
// (nothing to judge when the scenario expects nothing of preflight).
func preflightAsExpected(r *report.Report, sc world.Scenario) (bool, string) {
	if sc.Preflight == "" {
		return true, ""
	}
	if got := string(r.Verdict); got != sc.Preflight {
		return false, fmt.Sprintf("verdict %s, want %s", got, sc.Preflight)
	}
	if sc.PreflightCheck == "" {
		return true, ""
	}
	c := r.Check(sc.PreflightCheck)
	if c == nil {
		return false, "no check " + sc.PreflightCheck + " in the report"
	}
	if string(c.Status) != sc.Preflight {
		return false, fmt.Sprintf("check %s is %s, want %s", sc.PreflightCheck, c.Status, sc.Preflight)
	}
	return true, ""
}
