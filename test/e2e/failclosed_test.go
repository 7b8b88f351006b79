package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// What cannot be verified is an error (exit 1), and bad input is a clear
// failing check: the healthy pod's environment, broken one way at a time.
func TestBrokenInputFailsClosed(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, env []string) []string
		verdict report.Verdict
		code    int
		check   string
		status  report.Status
		phrases []string
	}{
		{
			name: "STS unreachable is an error, not a guess",
			breakIt: func(t *testing.T, env []string) []string {
				closed := closedLoopbackURL(t)
				return setenv(setenv(env, "AWS_ENDPOINT_URL_STS", closed), "AWS_ENDPOINT_URL", closed)
			},
			verdict: report.VerdictError, code: cli.ExitUnverified,
			check: "sts.assume-role", status: report.StatusError, phrases: []string{"nothing was verified"},
		},
		{
			name: "a garbage token file fails token.claims",
			breakIt: func(t *testing.T, env []string) []string {
				path := filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(path, []byte("this-is-not-a-jwt\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return setenv(env, "AWS_WEB_IDENTITY_TOKEN_FILE", path)
			},
			verdict: report.VerdictFail, code: cli.ExitFail,
			check: "token.claims", status: report.StatusFail,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			env := tc.breakIt(t, scenarioEnv(t, scenario(t, "healthy")))
			r := verify(t, env)
			wantOutcome(t, r, tc.verdict, tc.code, tc.check, tc.status, tc.phrases...)
			wantPublished(t, r)
			if r.elapsed > 30*time.Second {
				t.Errorf("the run took %s, over the agent's own 30 s bound", r.elapsed)
			}
		})
	}
}

// stdout is for the report alone: one JSON document, every check of
// DESIGN.md in order, logs on stderr.
func TestStdoutIsExactlyOneReportWithEveryCheck(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	r := verify(t, scenarioEnv(t, scenario(t, "healthy"))) // verify decodes strictly and compares the IDs
	if got := checkIDs(r.report); len(got) != len(designCheckIDs) {
		t.Fatalf("report checks %v, want %v", got, designCheckIDs)
	}
	if _, err := decodeOneReport(r.stderr); err == nil {
		t.Error("stderr holds a report: logs only belong there")
	}
	if _, err := decodeOneReport(append(append([]byte{}, r.stdout...), r.stdout...)); err == nil {
		t.Error("decodeOneReport accepts two documents: the strictness check is broken")
	}
}
