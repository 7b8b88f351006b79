package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// agentDeadline bounds one podcred-agent process; the agent's own --timeout
// (30 s) is shorter, so hitting this is a hang.
const agentDeadline = time.Minute

// designCheckIDs are the agent's check IDs as DESIGN.md lists them (the
// EKS Pod Identity ones after the IRSA identity checks): every report
// carries each of them exactly once, in this order.
var designCheckIDs = []string{
	"env.role-arn", "env.token-file", "token.claims", "token.audience", "token.subject",
	"creds.static-env", "creds.shared-file", "sts.assume-role", "sts.caller-identity",
	"podidentity.env", "podidentity.token", "podidentity.credentials", "podidentity.caller-identity",
	"chain.source", "isolation.imds", "isolation.cross-role",
}

// agentRun is one finished podcred-agent process.
type agentRun struct {
	args           []string
	code           int
	stdout, stderr []byte
	started        time.Time
	elapsed        time.Duration
	report         *report.Report // verify runs only
}

// verify runs `podcred-agent --format json --sink stdout,configmap,annotation,event
// --kubeconfig <the pod's>` plus args with env as the pod's environment, and
// decodes its report. stdout must be exactly one JSON report holding every
// check of DESIGN.md. What the run wrote to the apiserver is collected for
// the secret scan.
func verify(t *testing.T, env []string, args ...string) *agentRun {
	t.Helper()
	full := append([]string{"--format", "json", "--sink", "stdout,configmap,annotation,event",
		"--kubeconfig", getenv(env, "KUBECONFIG")}, args...)
	r := execAgent(t, env, full)
	if r.code == cli.ExitUsage {
		t.Fatalf("podcred-agent %s: exit 2 (bad usage): %s", strings.Join(args, " "), r.stderr)
	}
	rep, err := decodeOneReport(r.stdout)
	if err != nil {
		t.Fatalf("podcred-agent stdout (exit %d): %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	r.report = rep
	if ids := checkIDs(rep); !slices.Equal(ids, designCheckIDs) {
		t.Errorf("report checks %v, want DESIGN.md's %v", ids, designCheckIDs)
	}
	suite.outputs.snapshotNamespace(t, getenv(env, "POD_NAMESPACE"))
	return r
}

// gate runs `podcred-agent gate --kubeconfig <the pod's>` plus args with env.
func gate(t *testing.T, env []string, args ...string) *agentRun {
	t.Helper()
	return execAgent(t, env, append([]string{"gate", "--kubeconfig", getenv(env, "KUBECONFIG")}, args...))
}

// execAgent runs the agent binary, bounded by agentDeadline, and records its
// outputs for the secret scan.
func execAgent(t *testing.T, env, args []string) *agentRun {
	t.Helper()
	requireLoopbackEndpoints(t, env)
	requireLoopbackArgs(t, args)
	suite.outputs.giveSecrets(env)
	p := runProcess(t, "podcred-agent", agentDeadline, env, suite.bins.agent, args...)
	r := &agentRun{args: args, code: p.code, stdout: p.stdout, stderr: p.stderr, started: p.started, elapsed: p.elapsed}
	command := "verify"
	if len(args) > 0 && args[0] == "gate" {
		command = "gate"
	}
	t.Logf("podcred-agent %s: exit %d in %s", command, r.code, r.elapsed.Round(time.Millisecond))
	return r
}

// requireLoopbackArgs refuses an --imds-endpoint that is not loopback.
func requireLoopbackArgs(t *testing.T, args []string) {
	t.Helper()
	for i, a := range args {
		value, ok := strings.CutPrefix(a, "--imds-endpoint=")
		if a == "--imds-endpoint" && i+1 < len(args) {
			value, ok = args[i+1], true
		}
		if u, err := url.Parse(value); ok && (err != nil || u.Hostname() != "127.0.0.1") {
			t.Fatalf("refusing to run the agent: --imds-endpoint %q is not a 127.0.0.1 URL", value)
		}
	}
}

// decodeOneReport decodes stdout as exactly one JSON report: nothing before
// it, nothing but white space after it.
func decodeOneReport(stdout []byte) (*report.Report, error) {
	dec := json.NewDecoder(bytes.NewReader(stdout))
	var r report.Report
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON document on stdout")
	}
	if r.SchemaVersion != report.SchemaVersion || r.Kind != report.KindAgent {
		return nil, errors.New("not a " + report.SchemaVersion + " " + report.KindAgent)
	}
	return &r, nil
}

// checkIDs lists the report's check IDs in order.
func checkIDs(r *report.Report) []string {
	ids := make([]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		ids = append(ids, c.ID)
	}
	return ids
}

// findings lists "id=status" for the checks that did not pass or skip, for messages.
func findings(r *report.Report) string {
	var out []string
	for _, c := range r.Checks {
		if c.Status != report.StatusPass && c.Status != report.StatusSkip {
			out = append(out, c.ID+"="+string(c.Status)+" ("+c.Message+")")
		}
	}
	if len(out) == 0 {
		return "every check passed or skipped"
	}
	return strings.Join(out, "; ")
}

// wantOutcome asserts the run's verdict and exit code, and that check id
// carries status with every phrase in its message or remedy.
func wantOutcome(t *testing.T, r *agentRun, verdict report.Verdict, code int, id string, status report.Status, phrases ...string) {
	t.Helper()
	if r.report.Verdict != verdict || r.code != code {
		t.Errorf("verdict %s, exit %d; want %s, exit %d: %s\nstderr: %s", r.report.Verdict, r.code, verdict, code, findings(r.report), r.stderr)
	}
	if id == "" {
		return
	}
	c := r.report.Check(id)
	if c == nil {
		t.Fatalf("no check %s in the report", id)
	}
	if c.Status != status {
		t.Errorf("check %s is %s, want %s: %s | remedy: %s", id, c.Status, status, c.Message, c.Remedy)
	}
	for _, p := range phrases {
		if !strings.Contains(c.Message, p) && !strings.Contains(c.Remedy, p) {
			t.Errorf("check %s does not say %q:\nmessage: %s\nremedy: %s", id, p, c.Message, c.Remedy)
		}
	}
}
