package preflightcli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/preflight"
)

// runLint runs `podcred-preflight lint` with clients that fail the test
// when built, a kubeconfig that does not exist and every AWS endpoint on a
// closed loopback port: lint must need none of them.
func runLint(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	env := map[string]string{
		"KUBECONFIG": filepath.Join(t.TempDir(), "none"), "AWS_ENDPOINT_URL": closed, "AWS_ENDPOINT_URL_STS": closed,
		"AWS_ENDPOINT_URL_IAM": closed, "AWS_ENDPOINT_URL_EKS": closed, "AWS_EC2_METADATA_DISABLED": "true",
	}
	var out, errb bytes.Buffer
	cmd := NewCommand(Streams{Out: &out, Err: &errb, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, Deps{
		Kube: func(*genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error) {
			t.Error("lint built Kubernetes clients")
			return nil, nil, nil, nil
		},
		AWS: func(context.Context, time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error) {
			t.Error("lint built AWS clients")
			return nil, nil, nil
		},
		EC2: func(context.Context, time.Duration) (preflight.DescribeInstancesAPI, error) {
			t.Error("lint built an EC2 client")
			return nil, nil
		},
	})
	cmd.SetArgs(args)
	return cli.Main(cmd, &errb), out.String(), errb.String()
}

const lintSA = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: litmus-admin
  namespace: litmus
  annotations:
    eks.amazonaws.com/role-arn: %s
`

func TestLintExitCodesAndSARIFOnStdoutWithoutClusterOrAWS(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	badARN := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte(strings.Replace(lintSA, "%s", roleARN, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badARN, []byte(strings.Replace(lintSA, "%s", "arn:aws:iam::1:role/x", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runLint(t, "lint", "-f", good, "--issuer", issuer, "--format", "sarif")
	if code != cli.ExitPass {
		t.Fatalf("clean file: exit %d\n%s\n%s", code, out, stderr)
	}
	var log struct {
		Version string
		Runs    []struct{ Results []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 0 {
		t.Fatalf("stdout is not a clean SARIF log: %v\n%s", err, out)
	}
	code, out, _ = runLint(t, "lint", "-f", badARN, "--issuer", issuer, "--format", "sarif")
	if code != cli.ExitFail || !strings.Contains(out, `"ruleId": "sa.role-annotation"`) {
		t.Errorf("malformed annotation: exit %d, want %d\n%s", code, cli.ExitFail, out)
	}
	code, out, stderr = runLint(t, "lint", "-f", good, "-f", filepath.Join(dir, "missing.yaml"), "--cluster", "chaos-lab", "--format", "json")
	if code != cli.ExitUnverified || !strings.Contains(stderr, "missing.yaml") || !strings.Contains(out, "lint makes no AWS call") {
		t.Errorf("unreadable file and --cluster: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr = runLint(t, "lint", "--issuer", issuer); code != cli.ExitUsage || !strings.Contains(stderr, "-f PATH") {
		t.Errorf("no -f: exit %d: %s", code, stderr)
	}
	if code, _, _ = runLint(t, "lint", "-f", good, "--format", "markdown"); code != cli.ExitUsage {
		t.Errorf("--format markdown: exit %d, want %d", code, cli.ExitUsage)
	}
}
