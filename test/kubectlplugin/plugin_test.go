// Package kubectlplugin proves that podcred-preflight works as a kubectl
// plugin with a real kubectl (built from the Kubernetes version the sandbox
// runs, `make tools`) against the sandbox: kubectl finds kubectl-podcred on
// PATH (`kubectl plugin list`), runs `kubectl podcred check ...` with the
// user's kubeconfig, and hands back the plugin's exit code.
//
// Run it with `make test`, or: make tools build && PODCRED_BIN=$PWD/bin go test -count=1 ./test/kubectlplugin/
package kubectlplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/report"
)

// runDeadline bounds one kubectl process.
const runDeadline = 3 * time.Minute

// binDir is PODCRED_BIN, holding kubectl (make tools) and kubectl-podcred
// (make build); the test fails, never skips, without them.
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PODCRED_BIN")
	if dir == "" {
		t.Fatal("PODCRED_BIN is not set: run `make tools build`, then PODCRED_BIN=$PWD/bin go test ./test/kubectlplugin/")
	}
	for _, name := range []string{"kubectl", "kubectl-podcred", "kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("%v: run `make tools build`", err)
		}
	}
	return dir
}

// result is one finished kubectl process.
type result struct {
	code           int
	stdout, stderr string
}

// kubectl runs bin/kubectl with bin/ first on PATH, as a user who installed
// the plugin there would.
func kubectl(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), args...)
	cmd.Env = append(env, "PATH="+bin+":/usr/local/bin:/usr/bin:/bin", "HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	for _, secret := range []string{awsemu.AdminSecretAccessKey} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("kubectl %s printed the sandbox's secret key", strings.Join(args, " "))
		}
	}
	return r
}

func TestKubectlFindsAndRunsThePluginAgainstTheSandbox(t *testing.T) {
	bin := binDir(t)
	if err := awsemu.CheckMoto(""); err != nil {
		t.Fatal(err)
	}
	w, err := world.LoadWorld(filepath.Join("..", "..", "examples", "worlds", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	sb, err := sandbox.Start(ctx, sandbox.Options{BinDir: bin, World: w})
	cancel()
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("stop the sandbox: %v", err)
		}
	})
	env := sb.Env()

	list := kubectl(t, bin, env, "plugin", "list", "--name-only")
	if list.code != 0 || !strings.Contains(list.stdout, "kubectl-podcred") {
		t.Errorf("kubectl plugin list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}

	help := kubectl(t, bin, env, "podcred", "check", "--help")
	if help.code != 0 || !strings.Contains(help.stdout, "kubectl podcred check -n litmus --service-account litmus-admin") {
		t.Errorf("kubectl podcred check --help: exit %d\n%s", help.code, help.stdout)
	}

	cluster := w.Cluster.Name
	for _, tc := range []struct {
		ns      string
		verdict report.Verdict
	}{
		{"litmus", report.VerdictPass},        // the demo's healthy set-up
		{"litmus-legacy", report.VerdictFail}, // cloud-secret still mounted, a fault's action missing, an ungated engine
	} {
		r := kubectl(t, bin, env, "podcred", "check", "-n", tc.ns, "--service-account", "litmus-admin", "--cluster", cluster, "--format", "json")
		var rep report.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Errorf("kubectl podcred check -n %s: exit %d, stdout is not a report: %v\n%s\nstderr: %s", tc.ns, r.code, err, r.stdout, r.stderr)
			continue
		}
		if rep.Verdict != tc.verdict || r.code != cli.ExitCode(tc.verdict, false) {
			t.Errorf("kubectl podcred check -n %s: verdict %s exit %d, want %s exit %d\nstderr: %s",
				tc.ns, rep.Verdict, r.code, tc.verdict, cli.ExitCode(tc.verdict, false), r.stderr)
		}
		if rep.Subject.Namespace != tc.ns || rep.Subject.ServiceAccount != "litmus-admin" {
			t.Errorf("kubectl podcred check -n %s judged %+v", tc.ns, rep.Subject)
		}
	}
}
