package preflight

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/podcred/podcred/pkg/report"
)

// TestAuditListsBothMechanisms audits a cluster with an IRSA ServiceAccount,
// two Pod-Identity-only ones sharing a role, one with both, and an
// association for a ServiceAccount that does not exist: every one is
// reported with its mechanism; the association list is read once (page by
// page) and the shared role once.
func TestAuditListsBothMechanisms(t *testing.T) {
	aws := newPIAccount(t, piTrustHealthy)
	aws.pi.pageSize = 2
	created := time.Now().Add(-time.Hour)
	aws.pi.assocs = []fakeAssociation{
		{cluster: "chaos-lab", ns: "litmus", sa: "litmus-admin", id: "a-1", role: piRole, created: created},
		{cluster: "chaos-lab", ns: "team-b", sa: "runner", id: "a-2", role: piRole, created: created},
		{cluster: "chaos-lab", ns: "team-c", sa: "both", id: "a-3", role: pfRole, created: created},
		{cluster: "chaos-lab", ns: "team-d", sa: "ghost", id: "a-4", role: piRole, created: created},
		{cluster: "elsewhere", ns: "team-e", sa: "other-cluster", id: "a-5", role: piRole, created: created},
	}
	kube := fake.NewClientset(plainSA("litmus", "litmus-admin"), plainSA("team-b", "runner"),
		annotatedSA("team-c", "both", pfRole, created), annotatedSA("team-a", "irsa", pfRole, created), plainSA("team-a", "nothing"))
	ic, ec := aws.clients()
	res, err := Audit(context.Background(), AuditOptions{Workers: 4, Base: Options{Cluster: "chaos-lab", ExperimentSDK: "go-v2",
		Kube: NewKubeSource(kube, nil), EKS: ec, IAM: ic, PodIdentity: NewPodIdentitySource(ec, "us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"litmus/litmus-admin": "pod-identity", "team-b/runner": "pod-identity", "team-c/both": "irsa+pod-identity",
		"team-a/irsa": "irsa", "team-d/ghost": "pod-identity",
	}
	got := map[string]string{}
	for _, r := range res.Reports {
		got[r.Subject.Namespace+"/"+r.Subject.ServiceAccount] = r.Check(IDPodIdentityAssociation).Evidence["mechanism"]
	}
	if len(got) != len(want) {
		t.Fatalf("audited %v, want %v", got, want)
	}
	for k, m := range want {
		if got[k] != m {
			t.Errorf("%s: mechanism %q, want %q", k, got[k], m)
		}
	}
	for _, r := range res.Reports {
		key := r.Subject.Namespace + "/" + r.Subject.ServiceAccount
		switch c := r.Check(IDPodIdentityAssociation); key {
		case "team-c/both":
			if c.Status != report.StatusWarn {
				t.Errorf("%s: %s %s", key, c.Status, c.Message)
			}
		case "team-d/ghost":
			if r.Check(IDSAExists).Status != report.StatusFail {
				t.Errorf("%s: sa.exists = %s", key, r.Check(IDSAExists).Status)
			}
		case "litmus/litmus-admin", "team-b/runner":
			if c.Status != report.StatusPass || r.Subject.RoleArn != piRole {
				t.Errorf("%s: %s %s (role %s)", key, c.Status, c.Message, r.Subject.RoleArn)
			}
		}
	}
	// chaos-lab's 4 associations in pages of 2: 2 list calls, none per ServiceAccount.
	if n := aws.count("ListPodIdentityAssociations"); n != 2 {
		t.Errorf("ListPodIdentityAssociations: %d calls, want 2 (one paginated listing)", n)
	}
	if n := aws.count("DescribePodIdentityAssociation"); n != 4 {
		t.Errorf("DescribePodIdentityAssociation: %d calls, want 4 (one per association of the cluster)", n)
	}
	if n := aws.count("ListFargateProfiles"); n != 1 {
		t.Errorf("ListFargateProfiles: %d calls, want 1", n)
	}
	if n := aws.count("GetRole"); n != 2 {
		t.Errorf("GetRole: %d calls, want 2 (chaos-pi and chaos-ec2, each once)", n)
	}
}
