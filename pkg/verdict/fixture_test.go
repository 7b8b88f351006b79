package verdict

import (
	"slices"
	"time"

	"github.com/podcred/podcred/pkg/report"
)

// t0 is the fixed instant every test report finishes at.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

const (
	testNS   = "litmus"
	testSA   = "litmus-admin"
	testPod  = "pod-delete-abc12"
	testRole = "arn:aws:iam::111122223333:role/chaos-pod-delete"
)

// podIdentityIDs are the agent's EKS Pod Identity checks; an IRSA pod's
// report carries them skipped.
var podIdentityIDs = []string{"podidentity.env", "podidentity.token", "podidentity.credentials", "podidentity.caller-identity"}

// irsaIDs are the agent's IRSA checks; a Pod-Identity-only pod's report
// carries them skipped.
var irsaIDs = []string{"env.role-arn", "env.token-file", "token.claims", "token.audience", "token.subject", "sts.assume-role", "sts.caller-identity"}

// agentChecks returns one check per agent check ID, with its step: those of
// an IRSA pod pass, the Pod Identity ones are skipped.
func agentChecks() []report.Check {
	steps := []struct {
		id   string
		step int
	}{
		{"env.role-arn", 4}, {"env.token-file", 4}, {"token.claims", 4},
		{"token.audience", 1}, {"token.subject", 3}, {"creds.static-env", 5},
		{"creds.shared-file", 5}, {"sts.assume-role", 2}, {"sts.caller-identity", 2},
		{"podidentity.env", 4}, {"podidentity.token", 4}, {"podidentity.credentials", 2}, {"podidentity.caller-identity", 2},
		{"chain.source", 4}, {"isolation.imds", 0}, {"isolation.cross-role", 0},
	}
	checks := make([]report.Check, len(steps))
	for i, s := range steps {
		checks[i] = report.Check{
			ID: s.id, Step: s.step, Title: "check " + s.id, Status: report.StatusPass,
			Message: s.id + " is fine", DurationMs: int64(i),
		}
		if slices.Contains(podIdentityIDs, s.id) {
			checks[i].Status, checks[i].Message = report.StatusSkip, "this pod uses IRSA"
		}
	}
	return checks
}

// podIdentityReport is the report of a Pod-Identity-only pod: the IRSA
// checks skipped, the Pod Identity ones passed, except those in set, which
// get the given status.
func podIdentityReport(set map[string]report.Status) *report.Report {
	all := map[string]report.Status{}
	for _, id := range irsaIDs {
		all[id] = report.StatusSkip
	}
	for _, id := range podIdentityIDs {
		all[id] = report.StatusPass
	}
	for id, st := range set {
		all[id] = st
	}
	r := newReport(all)
	r.Identity.Source = "CredentialsEndpointProvider"
	r.Identity.Arn = "arn:aws:sts::111122223333:assumed-role/chaos-pod-delete/eks-demo-pod-delete-abc12-1234"
	return r
}

// newReport returns a finished agent report for the test subject in which
// every check passes except those named in set, which get the given status.
func newReport(set map[string]report.Status) *report.Report {
	exp := t0.Add(time.Hour)
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Kind:          report.KindAgent,
		Tool:          report.Tool{Name: "podcred-agent", Version: "v0.1.0"},
		Subject: report.Subject{
			Cluster: "demo", Namespace: testNS, ServiceAccount: testSA,
			Pod: testPod, PodUID: "0b6f1c6e-7d2a-4c55-9f57-2a3b4c5d6e7f", RoleArn: testRole,
		},
		Identity: &report.Identity{
			Account: "111122223333",
			Arn:     "arn:aws:sts::111122223333:assumed-role/chaos-pod-delete/podcred",
			UserID:  "AROAEXAMPLE:podcred",
			Source:  "WebIdentityCredentials",
		},
		StartedAt: t0.Add(-40 * time.Millisecond),
		ExpiresAt: &exp,
		Checks:    agentChecks(),
	}
	for i := range r.Checks {
		if st, ok := set[r.Checks[i].ID]; ok {
			r.Checks[i].Status = st
			r.Checks[i].Message = r.Checks[i].ID + " is " + string(st)
			r.Checks[i].Remedy = "fix " + r.Checks[i].ID
		}
	}
	r.Finish(t0)
	return r
}

// passing returns a report whose checks all pass.
func passing() *report.Report { return newReport(nil) }

// withVerdict returns a report whose checks aggregate to v.
func withVerdict(v report.Verdict) *report.Report {
	switch v {
	case report.VerdictWarn:
		return newReport(map[string]report.Status{"creds.shared-file": report.StatusWarn})
	case report.VerdictFail:
		return newReport(map[string]report.Status{"sts.assume-role": report.StatusFail, "token.audience": report.StatusFail})
	case report.VerdictError:
		return newReport(map[string]report.Status{"isolation.imds": report.StatusError})
	default:
		return passing()
	}
}
