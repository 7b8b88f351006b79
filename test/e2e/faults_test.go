package e2e

import (
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox/stsfront"
	"github.com/podcred/podcred/pkg/report"
)

// Faults injected by the sandbox's STS front on AssumeRoleWithWebIdentity:
// the real agent retries what AWS would retry (with jitter, within its
// deadline), never retries refusals, and always ends with a definite verdict,
// exit code and published report.
func TestSTSFaultsEndInADefiniteVerdict(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	const action = "sts:AssumeRoleWithWebIdentity"
	for _, tc := range []struct {
		name    string
		fault   stsfront.Fault
		verdict report.Verdict
		code    int
		status  report.Status
		// maxCalls bounds the calls that reach the front (explicit + the SDK chain).
		maxCalls int
	}{
		{"throttling (400) twice is retried and passes", stsfront.Fault{Kind: stsfront.FaultThrottling, Times: 2},
			report.VerdictPass, cli.ExitPass, report.StatusPass, 4},
		{"429 twice is retried and passes", stsfront.Fault{Kind: stsfront.FaultTooManyRequests, Times: 2},
			report.VerdictPass, cli.ExitPass, report.StatusPass, 4},
		{"a 500 once is retried and passes", stsfront.Fault{Kind: stsfront.FaultInternalError, Times: 1},
			report.VerdictPass, cli.ExitPass, report.StatusPass, 3},
		{"503 on every call is an error after bounded retries", stsfront.Fault{Kind: stsfront.FaultServiceUnavailable},
			report.VerdictError, cli.ExitUnverified, report.StatusError, 6},
		{"connection resets are an error", stsfront.Fault{Kind: stsfront.FaultReset},
			report.VerdictError, cli.ExitUnverified, report.StatusError, 6},
		{"malformed XML is an error", stsfront.Fault{Kind: stsfront.FaultMalformed},
			report.VerdictError, cli.ExitUnverified, report.StatusError, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			front := sb(t).Front()
			env := scenarioEnv(t, scenario(t, "healthy"))
			front.ResetCalls()
			front.SetFault(action, tc.fault)
			t.Cleanup(front.ClearFaults)
			r := verify(t, env)
			wantOutcome(t, r, tc.verdict, tc.code, "sts.assume-role", tc.status)
			wantPublished(t, r)
			if n := front.Calls()[action]; n > tc.maxCalls {
				t.Errorf("%d AssumeRoleWithWebIdentity calls, want at most %d (bounded retries)", n, tc.maxCalls)
			}
			if r.elapsed > 15*time.Second {
				t.Errorf("took %s", r.elapsed)
			}
		})
	}
	t.Run("an answer slower than the deadline is an error within --timeout", func(t *testing.T) {
		defer stopOnPanic()
		front := sb(t).Front()
		env := scenarioEnv(t, scenario(t, "healthy"))
		front.SetFault(action, stsfront.Fault{Kind: stsfront.FaultSlow, Delay: time.Minute})
		t.Cleanup(front.ClearFaults)
		r := verify(t, env, "--timeout", "3s")
		if r.code != cli.ExitUnverified || r.report.Verdict != report.VerdictError {
			t.Errorf("exit %d verdict %s, want 1/error", r.code, r.report.Verdict)
		}
		if r.elapsed > 8*time.Second {
			t.Errorf("took %s with --timeout 3s", r.elapsed)
		}
	})
	t.Run("a refusal is not retried", func(t *testing.T) {
		defer stopOnPanic()
		useWorld(t, demoWorld)
		front := sb(t).Front()
		env := scenarioEnv(t, scenario(t, "wrong-namespace"))
		front.ResetCalls()
		r := verify(t, env)
		wantOutcome(t, r, report.VerdictFail, cli.ExitFail, "sts.assume-role", report.StatusFail, "AccessDenied")
		// One explicit call, one through the SDK chain: AccessDenied is retried by neither.
		if n := front.Calls()[action]; n != 2 {
			t.Errorf("%d AssumeRoleWithWebIdentity calls, want 2 (no retries of AccessDenied)", n)
		}
	})
}
