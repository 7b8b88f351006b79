package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/report"
)

// AgentRun is one run of the podcred-agent binary for a scenario.
type AgentRun struct {
	Scenario world.Scenario
	// Report is the JSON report the agent printed; nil when there was none.
	Report *report.Report
	// ExitCode is the agent's exit code.
	ExitCode int
	// Stdout and Stderr are the agent's outputs.
	Stdout, Stderr []byte
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// RunAgent runs the agent binary as the scenario's pod: ScenarioEnv for its
// environment, `--format json --sink stdout,configmap,annotation,event
// --kubeconfig <the pod's kubeconfig>` plus the scenario's Args.
func (s *Sandbox) RunAgent(ctx context.Context, agent string, sc world.Scenario) (*AgentRun, error) {
	env, err := s.ScenarioEnv(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	args := []string{"--format", "json", "--sink", "stdout,configmap,annotation,event", "--kubeconfig", lookupEnv(env, "KUBECONFIG")}
	args = append(append(args, sdkArgs(sc)...), sc.Args...)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, agent, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	run := &AgentRun{Scenario: sc, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		run.ExitCode = exitErr.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("scenario %s: run %s: %w", sc.Name, agent, err)
	}
	var r report.Report
	if json.Unmarshal(bytes.TrimSpace(run.Stdout), &r) == nil && r.SchemaVersion != "" {
		run.Report = &r
	}
	return run, nil
}

// Verdict is the report's verdict, or "none" when the agent printed no report.
func (r *AgentRun) Verdict() string {
	if r.Report == nil {
		return "none"
	}
	return string(r.Report.Verdict)
}

// Findings lists "id=status" for every check that did not pass or skip.
func (r *AgentRun) Findings() []string {
	if r.Report == nil {
		return nil
	}
	var out []string
	for _, c := range r.Report.Checks {
		if c.Status != report.StatusPass && c.Status != report.StatusSkip {
			out = append(out, c.ID+"="+string(c.Status))
		}
	}
	return out
}

// AsExpected tells whether the run matches the scenario: the verdict is
// Expect and, when the scenario names a Check, that check carries the
// verdict's status. The string says why not.
func (r *AgentRun) AsExpected() (bool, string) {
	sc := r.Scenario
	if r.Report == nil {
		return false, fmt.Sprintf("no report (exit %d): %s", r.ExitCode, lastLines(r.Stderr, 3))
	}
	if got := string(r.Report.Verdict); got != sc.Expect {
		return false, fmt.Sprintf("verdict %s, want %s (%s)", got, sc.Expect, strings.Join(r.Findings(), ", "))
	}
	if sc.Check != "" {
		c := r.Report.Check(sc.Check)
		if c == nil {
			return false, fmt.Sprintf("no check %s in the report", sc.Check)
		}
		if string(c.Status) != sc.Expect {
			return false, fmt.Sprintf("check %s is %s, want %s", sc.Check, c.Status, sc.Expect)
		}
	}
	return true, ""
}

// lookupEnv returns the value of name in env ("" when absent).
func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// lastLines joins the last n lines of b, for one-line error messages.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
