package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// Worlds of issue 12: a node that lets pods reach IMDS, and static keys
// in a Secret not called cloud-secret.
const (
	imdsOpenNodeWorld  = "imds-open-node.yaml"
	renamedSecretWorld = "renamed-secret.yaml"
)

// The AWS documentation's example keys the renamed-secret world mounts.
var worldSecretValues = []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// nodeInstance reads the instance ID the sandbox put in Node name's providerID.
func nodeInstance(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	n, err := sb(t).ControlPlane().Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	id := n.Spec.ProviderID[strings.LastIndex(n.Spec.ProviderID, "/")+1:]
	if !strings.HasPrefix(n.Spec.ProviderID, "aws:///") || !strings.HasPrefix(id, "i-") {
		t.Fatalf("node %s providerID %q is not aws:///<zone>/<instance-id>", name, n.Spec.ProviderID)
	}
	return id
}

// noWorldSecrets fails when an output shows a value of the world's Secrets.
func noWorldSecrets(t *testing.T, what string, outputs ...[]byte) {
	t.Helper()
	for _, out := range outputs {
		for _, v := range worldSecretValues {
			if bytes.Contains(out, []byte(v)) {
				t.Errorf("%s shows a Secret's value", what)
			}
		}
	}
}

// TestPreflightFlagsANodeThatLetsPodsReachIMDS reads the node's metadata
// options from moto's EC2 through the front, as ec2:DescribeInstances.
func TestPreflightFlagsANodeThatLetsPodsReachIMDS(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, imdsOpenNodeWorld)
	id := nodeInstance(t, world.NodeName)
	r := preflightCheck(t, "litmus", "litmus-admin", "--cluster", sb(t).World().Cluster.Name)
	wantCheck(t, r, preflight.IDNodesIMDS, report.StatusFail,
		world.NodeName+" ("+id+": HttpTokens=optional, HttpPutResponseHopLimit=2)",
		"pods of litmus-admin run there: ec2-terminate-runner",
		"aws ec2 modify-instance-metadata-options --region "+sb(t).World().Region+" --instance-id "+id+" --http-tokens required --http-put-response-hop-limit 1")
	if r.report.Verdict != report.VerdictFail || r.code != cli.ExitFail {
		t.Errorf("verdict %s exit %d, want fail: %s", r.report.Verdict, r.code, findings(r.report))
	}
	if calls := sb(t).Front().Calls()["ec2:DescribeInstances"]; calls < 1 {
		t.Errorf("no ec2:DescribeInstances reached the front: %v", sb(t).Front().Calls())
	}
}

// TestPreflightJudgesSecretsByContentWhateverTheirName loads a world whose
// runner mounts static keys from Secret ec2-chaos-keys, on a node that
// blocks IMDS, and reads check, audit, JUnit and Markdown outputs.
func TestPreflightJudgesSecretsByContentWhateverTheirName(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, renamedSecretWorld)
	cluster := sb(t).World().Cluster.Name
	r := preflightCheck(t, "litmus", "litmus-admin", "--cluster", cluster)
	wantCheck(t, r, preflight.IDExperimentCloudSecret, report.StatusFail,
		"ChaosExperiment ec2-terminate-by-id mounts secret ec2-chaos-keys at /etc/chaos-keys/ (holds AWS keys in credentials (credentials file))",
		"pod ec2-terminate-runner uses secret ec2-chaos-keys",
		`kubectl -n litmus patch chaosexperiment ec2-terminate-by-id --type=json -p='[{"op":"remove","path":"/spec/definition/secrets/0"}]'`)
	wantCheck(t, r, preflight.IDNodesIMDS, report.StatusPass, "1 EC2 nodes require IMDSv2 with hop limit 1")
	wantCheck(t, r, preflight.IDExperimentStaticEnv, report.StatusPass)
	noWorldSecrets(t, "check", r.stdout, r.stderr)

	audit := runPreflight(t, "audit", "-A", "--cluster", cluster, "--format", "json")
	var doc struct {
		Reports []report.Report `json:"reports"`
	}
	if err := json.Unmarshal(audit.stdout, &doc); err != nil || len(doc.Reports) != 1 {
		t.Fatalf("audit -A (exit %d): %v: %s", audit.code, err, audit.stdout)
	}
	for id, want := range map[string]report.Status{preflight.IDNodesIMDS: report.StatusPass, preflight.IDExperimentCloudSecret: report.StatusFail} {
		if c := doc.Reports[0].Check(id); c == nil || c.Status != want {
			t.Errorf("audit -A: %s = %+v, want %s", id, c, want)
		}
	}
	junit := runPreflight(t, "audit", "-A", "--cluster", cluster, "--format", "junit")
	markdown := runPreflight(t, "check", "-n", "litmus", "--service-account", "litmus-admin", "--cluster", cluster, "--format", "markdown")
	for _, tc := range []struct {
		name string
		out  []byte
		want []string
	}{
		{"junit", junit.stdout, []string{`<testcase name="nodes.imds"`, `<testcase name="experiment.cloud-secret"`, "ec2-chaos-keys"}},
		{"markdown", markdown.stdout, []string{"nodes.imds", "experiment.cloud-secret", "ec2-chaos-keys"}},
	} {
		for _, w := range tc.want {
			if !bytes.Contains(tc.out, []byte(w)) {
				t.Errorf("%s output lacks %q:\n%s", tc.name, w, tc.out)
			}
		}
	}
	noWorldSecrets(t, "audit and renderers", audit.stdout, audit.stderr, junit.stdout, markdown.stdout)
}
