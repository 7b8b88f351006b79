package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// process is one finished child process of the suite.
type process struct {
	code           int
	stdout, stderr []byte
	started        time.Time
	elapsed        time.Duration
}

// runProcess runs name with args and exactly env, killed by PID at deadline
// (a hang fails the test), and records both outputs for the secret scan under
// label. A non-zero exit is the process's answer, not a test failure.
func runProcess(t *testing.T, label string, deadline time.Duration, env []string, name string, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	p := &process{started: time.Now()}
	err := cmd.Run()
	p.elapsed = time.Since(p.started)
	p.stdout, p.stderr = stdout.Bytes(), stderr.Bytes()
	suite.outputs.add(t.Name()+": "+label+" stdout", p.stdout)
	suite.outputs.add(t.Name()+": "+label+" stderr", p.stderr)
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s did not finish within %s; stderr: %s", label, strings.Join(args, " "), deadline, p.stderr)
	case errors.As(err, &exitErr):
		p.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", label, err)
	}
	return p
}
