// Package agenttest stands in for the agent in tests of what reads its
// reports (preflight's --run-job, the gate).
package agenttest

import (
	"slices"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
)

// podIdentityChecks skip on an IRSA pod.
var podIdentityChecks = []string{credcheck.IDPodIdentityEnv, credcheck.IDPodIdentityToken,
	credcheck.IDPodIdentityCreds, credcheck.IDPodIdentityCaller}

// AgentChecks is the check list of a complete agent report of an IRSA pod,
// as a gate requires it (credcheck.GateRequired): every check passes except
// the EKS Pod Identity ones, which skip as on an IRSA pod, and
// sts.assume-role, which gets st. For tests that stand in for the agent.
func AgentChecks(st report.Status) []report.Check {
	checks := make([]report.Check, len(credcheck.AgentSpecs))
	for i, s := range credcheck.AgentSpecs {
		checks[i] = report.Check{ID: s.ID, Step: s.Step, Title: s.Title, Status: report.StatusPass, Message: "stand-in"}
		switch {
		case s.ID == credcheck.IDSTSAssumeRole:
			checks[i].Status = st
		case slices.Contains(podIdentityChecks, s.ID):
			checks[i].Status = report.StatusSkip
		}
	}
	return checks
}
