package preflightcli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

const piRoleARN = "arn:aws:iam::123456789012:role/chaos-pi"

// mockEKS answers DescribeCluster and the Pod Identity calls from memory:
// one association, for litmus/pi-runner, and no Fargate profile.
type mockEKS struct{}

var _ preflight.PodIdentityAPI = mockEKS{}

func (mockEKS) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	return &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{Name: in.Name,
		Identity: &ekstypes.Identity{Oidc: &ekstypes.OIDC{Issuer: aws.String(issuer)}}}}, nil
}
func (mockEKS) ListPodIdentityAssociations(_ context.Context, in *eks.ListPodIdentityAssociationsInput, _ ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error) {
	a := ekstypes.PodIdentityAssociationSummary{AssociationId: aws.String("a-1"), Namespace: aws.String("litmus"), ServiceAccount: aws.String("pi-runner"),
		AssociationArn: aws.String("arn:aws:eks:us-east-1:123456789012:podidentityassociation/chaos-lab/a-1"), ClusterName: in.ClusterName}
	if in.ServiceAccount != nil && aws.ToString(in.ServiceAccount) != "pi-runner" {
		return &eks.ListPodIdentityAssociationsOutput{}, nil
	}
	return &eks.ListPodIdentityAssociationsOutput{Associations: []ekstypes.PodIdentityAssociationSummary{a}}, nil
}
func (mockEKS) DescribePodIdentityAssociation(_ context.Context, in *eks.DescribePodIdentityAssociationInput, _ ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error) {
	return &eks.DescribePodIdentityAssociationOutput{Association: &ekstypes.PodIdentityAssociation{AssociationId: in.AssociationId,
		RoleArn: aws.String(piRoleARN), Namespace: aws.String("litmus"), ServiceAccount: aws.String("pi-runner")}}, nil
}
func (mockEKS) ListFargateProfiles(context.Context, *eks.ListFargateProfilesInput, ...func(*eks.Options)) (*eks.ListFargateProfilesOutput, error) {
	return &eks.ListFargateProfilesOutput{}, nil
}
func (mockEKS) DescribeFargateProfile(context.Context, *eks.DescribeFargateProfileInput, ...func(*eks.Options)) (*eks.DescribeFargateProfileOutput, error) {
	return nil, notFound("no profile")
}

// runWithEKS is world.run with mockEKS as the EKS client.
func (w *world) runWithEKS(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := NewCommand(Streams{Out: &out, Err: &errb, LookupEnv: func(string) (string, bool) { return "", false }}, Deps{
		Kube: func(*genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error) {
			return w.kube, nil, &rest.Config{Host: "https://127.0.0.1:1"}, nil
		},
		AWS: func(context.Context, time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error) {
			return w.iam, mockEKS{}, nil
		},
	})
	cmd.SetArgs(args)
	code := cli.Main(cmd, &errb)
	return code, out.String(), errb.String()
}

func TestCheckJudgesTheExperimentSDKForPodIdentity(t *testing.T) {
	w := newWorld(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: "pi-runner"}})
	w.iam.trust["chaos-pi"] = trustpolicy.PodIdentityTrustDocument("litmus", "pi-runner")
	base := []string{"check", "-n", "litmus", "--service-account", "pi-runner", "--cluster", "chaos-lab", "--format", "json"}
	for _, c := range []struct {
		sdk    string
		code   int
		status report.Status
	}{{"go-v1", cli.ExitFail, report.StatusFail}, {"go-v2", cli.ExitPass, report.StatusPass}} {
		code, out, stderr := w.runWithEKS(t, append(base, "--experiment-sdk", c.sdk)...)
		var r report.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != c.code {
			t.Fatalf("%s: exit %d, want %d: %v\n%s\n%s", c.sdk, code, c.code, err, out, stderr)
		}
		if got := r.Check(preflight.IDPodIdentitySDK); got == nil || got.Status != c.status || r.Subject.RoleArn != piRoleARN {
			t.Fatalf("%s: podidentity.sdk %+v, role %s", c.sdk, got, r.Subject.RoleArn)
		}
	}
}

func TestAuditShowsEachServiceAccountsMechanism(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: "pi-runner"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: "plain"}})
	w.iam.trust["chaos-pi"] = trustpolicy.PodIdentityTrustDocument("litmus", "pi-runner")
	_, out, stderr := w.runWithEKS(t, "audit", "-A", "--cluster", "chaos-lab", "--experiment-sdk", "go-v2", "--format", "json")
	var doc auditDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, stderr)
	}
	got := map[string]string{}
	for _, r := range doc.Summary {
		got[r.ServiceAccount] = r.Mechanism
	}
	if len(got) != 2 || got["litmus-admin"] != "irsa" || got["pi-runner"] != "pod-identity" {
		t.Fatalf("summary mechanisms %v, want litmus-admin irsa and pi-runner pod-identity (plain not audited)", got)
	}
	_, out, _ = w.runWithEKS(t, "audit", "-A", "--cluster", "chaos-lab", "--format", "text")
	if !strings.Contains(out, "MECHANISM") || !strings.Contains(out, "pod-identity") {
		t.Fatalf("text audit lacks the mechanism column:\n%s", out)
	}
	if code, _, stderr := w.runWithEKS(t, "audit", "-A", "--experiment-sdk", "go-v9"); code != cli.ExitUsage {
		t.Fatalf("bad --experiment-sdk: exit %d\n%s", code, stderr)
	}
}
