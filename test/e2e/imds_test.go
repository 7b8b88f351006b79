package e2e

import (
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// Scenario 10, second half: with IMDS blocked (a closed loopback port) the
// probe passes at once instead of waiting out its timeout. The timeout is
// raised to 20 s so that waiting it out would show.
func TestBlockedIMDSPassesWithoutWaitingOutTheTimeout(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	const imdsTimeout = 20 * time.Second
	env := scenarioEnv(t, scenario(t, "healthy"))
	endpoint, err := url.Parse(getenv(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT"))
	if err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", endpoint.Host, time.Second); err == nil {
		conn.Close()
		t.Fatalf("the blocked IMDS endpoint %s accepts connections", endpoint)
	}
	r := verify(t, env, "--imds-timeout", imdsTimeout.String())
	wantOutcome(t, r, report.VerdictPass, cli.ExitPass, "isolation.imds", report.StatusPass)
	if c := r.report.Check("isolation.imds"); c != nil && time.Duration(c.DurationMs)*time.Millisecond > 2*time.Second {
		t.Errorf("isolation.imds took %d ms against a closed port", c.DurationMs)
	}
	if r.elapsed > imdsTimeout/4 {
		t.Errorf("the whole run took %s: well under the %s IMDS timeout expected", r.elapsed, imdsTimeout)
	}
}
