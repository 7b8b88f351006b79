package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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

// runAs runs main() from a copy of the test binary named name, as kubectl
// runs a plugin it found on PATH.
func runAs(t *testing.T, name string, args ...string) (int, string) {
	t.Helper()
	exe := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(os.Args[0], exe); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "PODCRED_PREFLIGHT_RUN_MAIN=1", "KUBECONFIG="+t.TempDir()+"/none")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func TestUnderThePluginNameHelpAndExamplesReadAsKubectlPodcred(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"check", "--help"}, {"audit", "--help"}} {
		code, out := runAs(t, "kubectl-podcred", args...)
		if code != 0 {
			t.Fatalf("kubectl-podcred %v: exit %d\n%s", args, code, out)
		}
		if strings.Contains(out, "podcred-preflight") {
			t.Errorf("kubectl-podcred %v still says podcred-preflight:\n%s", args, out)
		}
		if !strings.Contains(out, "kubectl podcred") {
			t.Errorf("kubectl-podcred %v does not say kubectl podcred:\n%s", args, out)
		}
	}
	_, out := runAs(t, "kubectl-podcred", "check", "--help")
	for _, want := range []string{"kubectl podcred check -n NAMESPACE --service-account SA [flags]",
		"kubectl podcred check -n litmus --service-account litmus-admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("check --help lacks %q:\n%s", want, out)
		}
	}
	if code, out := runAs(t, "kubectl-podcred", "check", "-n", "litmus"); code != 2 || !strings.Contains(out, "--service-account is required") {
		t.Errorf("a usage mistake under the plugin name: exit %d\n%s", code, out)
	}
}

func TestUnderItsOwnNameHelpSaysPodcredPreflight(t *testing.T) {
	code, out := runAs(t, "podcred-preflight", "check", "--help")
	if code != 0 || strings.Contains(out, "kubectl podcred") ||
		!strings.Contains(out, "podcred-preflight check -n NAMESPACE --service-account SA [flags]") {
		t.Errorf("podcred-preflight check --help: exit %d\n%s", code, out)
	}
}
