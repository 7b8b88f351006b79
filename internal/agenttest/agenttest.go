// Package agenttest stands in for the agent in tests of what reads its
// reports (preflight's --run-job, the gate).
package agenttest

import (
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
)

// AgentChecks is the check list of a complete agent report, as a gate
// requires it (credcheck.GateRequired): every check passes except
// sts.assume-role, which gets st. For tests that stand in for the agent.
func AgentChecks(st report.Status) []report.Check {
	checks := make([]report.Check, len(credcheck.AgentSpecs))
	for i, s := range credcheck.AgentSpecs {
		checks[i] = report.Check{ID: s.ID, Step: s.Step, Title: s.Title, Status: report.StatusPass, Message: "stand-in"}
		if s.ID == credcheck.IDSTSAssumeRole {
			checks[i].Status = st
		}
	}
	return checks
}
