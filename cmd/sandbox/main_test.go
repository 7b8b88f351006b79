package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podcred/podcred/internal/cli"
)

func TestTourStartsWithTheDemoWorld(t *testing.T) {
	worlds, err := tourWorlds("../../examples/worlds")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range worlds {
		names = append(names, filepath.Base(w.Path))
	}
	if len(names) < 3 || names[0] != "demo.yaml" {
		t.Fatalf("tour order %v", names)
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"up"},
		{"up", "--world", "../../examples/worlds/demo.yaml", "--imds", "open"},
		{"up", "--world", "no-such-world.yaml"},
	} {
		cmd := newRootCmd()
		cmd.SetArgs(args)
		err := cmd.ExecuteContext(context.Background())
		if code := cli.CodeOf(err); code != cli.ExitUsage {
			t.Errorf("%v: exit %d (%v), want %d", args, code, err, cli.ExitUsage)
		}
	}
}

// TestMain lets the test binary act as podcred-sandbox when asked to, so
// TestMainExitsTwoOnFlagMistakes runs main() in a child process and sees its
// real exit code.
func TestMain(m *testing.M) {
	if os.Getenv("PODCRED_SANDBOX_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestMainExitsTwoOnFlagMistakes: podcred-sandbox exits through the shared CLI
// main, so a flag mistake is bad usage (2) as it is for the agent.
func TestMainExitsTwoOnFlagMistakes(t *testing.T) {
	for _, args := range [][]string{
		{"up", "--no-such-flag"},
		{"--no-such-flag"},
		{"no-such-command"},
	} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "PODCRED_SANDBOX_RUN_MAIN=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitUsage {
			t.Errorf("%v: %v (%s), want exit %d", args, err, stderr.String(), cli.ExitUsage)
		}
		if !strings.HasPrefix(stderr.String(), "podcred-sandbox: ") {
			t.Errorf("%v: stderr %q does not name the program", args, stderr.String())
		}
	}
}
