package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary act as podcred-preflight when asked to, so
// the tests below run main() in a child process and see its real exit code.
func TestMain(m *testing.M) {
	if os.Getenv("PODCRED_PREFLIGHT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PODCRED_PREFLIGHT_RUN_MAIN=1", "KUBECONFIG="+t.TempDir()+"/none")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

func TestMainMapsOutcomesToExitCodes(t *testing.T) {
	if code, out, _ := runMain(t, "--help"); code != 0 || !strings.Contains(out, "podcred-preflight") || !strings.Contains(out, "audit") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	if code, out, _ := runMain(t, "check", "--list-faults"); code != 0 || !strings.Contains(out, "ec2-terminate-by-id (also ec2-stop-by-id)") {
		t.Errorf("--list-faults: exit %d\n%s", code, out)
	}
	if code, _, stderr := runMain(t, "check", "-n", "litmus"); code != 2 || !strings.Contains(stderr, "--service-account is required") {
		t.Errorf("missing --service-account: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runMain(t, "check", "--bogus"); code != 2 || !strings.Contains(stderr, "unknown flag") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
	}
}
