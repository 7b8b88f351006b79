package agentcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/podidtest"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
)

// TestPodIdentityOutputsHoldNoSecret runs the agent on a Pod-Identity-only
// pod — the agent answering, refusing with the token echoed back, and
// answering without end — and scans stdout (JSON and text), the debug log
// and the file sink for every key, session token and raw token issued.
func TestPodIdentityOutputsHoldNoSecret(t *testing.T) {
	tests := []struct {
		name   string
		answer podidtest.Answer
		code   int
		status report.Status
	}{
		{"credentials issued", podidtest.Answer{}, cli.ExitPass, report.StatusPass},
		{"a refusal echoing the token", podidtest.Answer{Status: 400, Code: "InvalidTokenException", Message: "bad", EchoToken: true, Text: true},
			cli.ExitFail, report.StatusFail},
		{"an endless answer", podidtest.Answer{Endless: true}, cli.ExitUnverified, report.StatusError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := podidtest.NewPod(t)
			p.Agent.Answer(tt.answer)
			file := filepath.Join(t.TempDir(), "report.json")
			code, stdout, stderr := run(t, "--format", "json", "--sink", "stdout,file="+file, "--imds-timeout", "300ms", "--log-level", "debug")
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.code, stderr)
			}
			r := decodeOne(t, stdout)
			if c := r.Check(credcheck.IDPodIdentityCreds); c == nil || c.Status != tt.status {
				t.Errorf("podidentity.credentials %+v, want %s", c, tt.status)
			}
			_, text, textErr := run(t, "--format", "text", "--sink", "stdout", "--imds-timeout", "300ms", "--log-level", "debug")
			written, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{stdout, stderr, text, textErr, string(written)} {
				for _, s := range p.Agent.Secrets() {
					if len(s) > 6 && strings.Contains(out, s) {
						t.Errorf("output leaks a secret (%.10s...)", s)
					}
				}
			}
			assertClean(t, p.Pod, stdout, stderr, text, textErr, string(written))
		})
	}
}
