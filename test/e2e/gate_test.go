package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/report"
)

// Scenario 1, continued: `podcred-agent gate` (a Litmus cmdProbe) opens only
// for a fresh pass report of the ServiceAccount and says why not otherwise.
func TestGateOpensOnlyForAFreshPassReportOfItsServiceAccount(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	healthy := scenarioEnv(t, scenario(t, "healthy"))
	if r := verify(t, healthy); r.report.Verdict != report.VerdictPass {
		t.Fatalf("healthy: verdict %s: %s", r.report.Verdict, findings(r.report))
	}
	wrongNS := scenarioEnv(t, scenario(t, "wrong-namespace"))
	if r := verify(t, wrongNS); r.report.Verdict != report.VerdictFail {
		t.Fatalf("wrong-namespace: verdict %s: %s", r.report.Verdict, findings(r.report))
	}
	time.Sleep(10 * time.Millisecond) // both reports are older than a millisecond now
	otherRole := "arn:aws:iam::" + sb(t).World().Account + ":role/chaos-lambda"

	for _, tc := range []struct {
		name   string
		env    []string // the pod the gate runs in
		args   []string
		code   int
		phrase string // in stdout or stderr
	}{
		{"a fresh pass report of the ServiceAccount opens it", healthy,
			[]string{"--service-account", "litmus-admin", "-n", "litmus"}, report.ExitPass, "podcred: pass for litmus/litmus-admin"},
		{"the namespace defaults to POD_NAMESPACE", healthy,
			[]string{"--service-account", "litmus-admin"}, report.ExitPass, "podcred: pass"},
		{"a report older than --max-age keeps it shut", healthy,
			[]string{"--service-account", "litmus-admin", "--max-age", "1ms"}, report.ExitUnverified, "max age"},
		{"another ServiceAccount without a report keeps it shut", healthy,
			[]string{"--service-account", "lambda-experiment"}, report.ExitUnverified, "not found"},
		{"another ServiceAccount's report is for another role than the pod's", healthy,
			[]string{"--service-account", "wrong-namespace"}, report.ExitUnverified, "chaos-wrong-namespace"},
		{"a report for another role than --role-arn keeps it shut", healthy,
			[]string{"--service-account", "litmus-admin", "--role-arn", otherRole}, report.ExitUnverified, "chaos-lambda"},
		{"a fail report keeps it shut with exit 3 and names the failing check", wrongNS,
			[]string{"--service-account", "wrong-namespace"}, report.ExitFail, "sts.assume-role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			wantGate(t, gate(t, tc.env, tc.args...), tc.code, tc.phrase)
		})
	}

	t.Run("a warn report keeps it shut unless warnings are allowed", func(t *testing.T) {
		defer stopOnPanic()
		legacy := scenarioEnv(t, scenario(t, "cloud-secret")) // same ServiceAccount, cloud-secret still mounted
		if r := verify(t, legacy); r.report.Verdict != report.VerdictWarn {
			t.Fatalf("cloud-secret: verdict %s: %s", r.report.Verdict, findings(r.report))
		}
		wantGate(t, gate(t, healthy, "--service-account", "litmus-admin"), report.ExitWarnStrict, "creds.shared-file")
		wantGate(t, gate(t, healthy, "--service-account", "litmus-admin", "--allow-warn"), report.ExitPass, "podcred: warn")
	})
}

// wantGate asserts the gate's exit code and that it says phrase.
func wantGate(t *testing.T, r *agentRun, code int, phrase string) {
	t.Helper()
	out := string(r.stdout) + string(r.stderr)
	if r.code != code || !strings.Contains(out, phrase) {
		t.Errorf("gate %s: exit %d, want %d saying %q:\n%s", strings.Join(r.args[3:], " "), r.code, code, phrase, out)
	}
}
