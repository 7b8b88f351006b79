package credcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/report"
)

const (
	testRole   = ststest.RoleARN
	testIssuer = ststest.Issuer
)

func makeJWT(t testing.TB, claims map[string]any) string { return ststest.JWT(t, claims) }

func podClaims(now time.Time) map[string]any { return ststest.PodClaims(now) }

// options are the agent options for a test pod (the Litmus file is looked
// for in the pod's temp dir, not the real /tmp).
func options(p *ststest.Pod) Options {
	return Options{CredentialFiles: []string{p.CloudConfigPath()}, IMDSTimeout: 300 * time.Millisecond, CallTimeout: 2 * time.Second}
}

func statusOf(t *testing.T, r *report.Report, id string) report.Check {
	t.Helper()
	c := r.Check(id)
	if c == nil {
		t.Fatalf("report has no check %s", id)
	}
	return *c
}

func assertStatus(t *testing.T, r *report.Report, id string, want report.Status, msgContains ...string) {
	t.Helper()
	c := statusOf(t, r, id)
	if c.Status != want {
		t.Errorf("%s: status %s, want %s (message: %s)", id, c.Status, want, c.Message)
	}
	for _, s := range msgContains {
		if !strings.Contains(c.Message+" "+c.Remedy, s) {
			t.Errorf("%s: message/remedy lacks %q:\n  message: %s\n  remedy: %s", id, s, c.Message, c.Remedy)
		}
	}
}
