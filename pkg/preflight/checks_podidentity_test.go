package preflight

import (
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// podIdentityFacts are the facts of a healthy Pod-Identity-only ServiceAccount.
func podIdentityFacts(t *testing.T) Facts {
	t.Helper()
	role := podiam.RoleARN{Partition: "aws", Account: "123456789012", Path: "/", Name: "chaos-pi"}
	return Facts{
		Now: pfNow, Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab", ExperimentSDK: credcheck.SDKGoV2,
		SA: SAFact{Found: true},
		PodIdentity: &PodIdentityFact{Cluster: "chaos-lab", Region: "us-east-1", Fargate: &FargateFact{},
			Associations: []AssociationFact{{ID: "a-1", ARN: "arn:aws:eks:us-east-1:123456789012:podidentityassociation/chaos-lab/a-1",
				RoleARN: piRole, CreatedAt: pfNow.Add(-24 * time.Hour),
				Role: &RoleFact{ARN: role, Found: true, ActualARN: piRole, Trust: pfPolicy(t, piTrustHealthy)}}}},
		Pods: &PodsFact{Pods: []PodFact{{Name: "runner", CreatedAt: pfNow.Add(-time.Hour), Phase: "Running", Node: "ip-10-0-1-10.ec2.internal",
			Containers: []ContainerFact{{Name: "main", PodIdentity: ContainerPodIdentity{FullURI: podiam.PodIdentityAgentURI, TokenFile: podiam.PodIdentityTokenPath, TokenMounted: true}}}}}},
	}
}

func TestPodIdentityChecksOverFacts(t *testing.T) {
	assoc := func(f *Facts) *AssociationFact { return &f.PodIdentity.Associations[0] }
	cases := []struct {
		name           string
		mutate         func(f *Facts)
		id             string
		status         report.Status
		message, fixes string
	}{
		{"healthy association", nil, IDPodIdentityAssociation, report.StatusPass, "association a-1 gives litmus/litmus-admin role", ""},
		{"healthy trust", nil, IDPodIdentityTrust, report.StatusPass, "sts:AssumeRole and sts:TagSession", ""},
		{"healthy env", nil, IDPodsEnvInjected, report.StatusPass, podiam.EnvContainerCredsFullURI, ""},
		{"IRSA checks skip", nil, IDTrustSubject, report.StatusSkip, "uses EKS Pod Identity", ""},
		{"not looked up", func(f *Facts) { f.PodIdentity = nil }, IDPodIdentityAssociation, report.StatusSkip, "--cluster", ""},
		{"not looked up: the annotation check says so", func(f *Facts) { f.PodIdentity = nil }, IDSARoleAnnotation, report.StatusFail, "either mechanism", ""},
		{"IRSA only", func(f *Facts) {
			f.PodIdentity.Associations = nil
			f.SA = SAFact{Found: true, HasRoleAnnotation: true, RoleARN: pfRole}
		}, IDPodIdentityAssociation, report.StatusSkip, "uses IRSA", ""},
		{"China region", func(f *Facts) { f.PodIdentity.Region = "cn-north-1" }, IDPodIdentityAssociation, report.StatusFail,
			"not available in the China regions", "aws eks delete-pod-identity-association --cluster-name chaos-lab --association-id a-1"},
		{"pods on Fargate nodes", func(f *Facts) { f.Pods.Pods[0].Node = "fargate-ip-10-0-1-10.ec2.internal" }, IDPodIdentityAssociation, report.StatusFail,
			"run on Fargate nodes", "eks.amazonaws.com/role-arn=" + piRole},
		{"Fargate selector with labels", func(f *Facts) {
			f.PodIdentity.Fargate.Matches = []FargateMatch{{Profile: "batch", Labels: map[string]string{"compute": "fargate"}}}
		}, IDPodIdentityAssociation, report.StatusWarn, "batch {compute=fargate}", ""},
		{"another role expected", func(f *Facts) { f.ExpectedRoleARN = pfRole }, IDPodIdentityAssociation, report.StatusFail,
			"not " + pfRole, "aws eks update-pod-identity-association --cluster-name chaos-lab --association-id a-1 --role-arn " + pfRole},
		{"association names no role ARN", func(f *Facts) { assoc(f).RoleARN, assoc(f).Role = "chaos-pi", nil }, IDPodIdentityAssociation, report.StatusFail,
			"not an IAM role ARN", "update-pod-identity-association"},
		{"describe refused", func(f *Facts) {
			assoc(f).Err = &podiam.CallError{Operation: "DescribePodIdentityAssociation", Code: "AccessDeniedException"}
		}, IDPodIdentityAssociation, report.StatusError, "AccessDeniedException", "eks:DescribePodIdentityAssociation"},
		{"broken trust", func(f *Facts) { assoc(f).Role.Trust, assoc(f).Role.TrustErr = nil, errBroken }, IDPodIdentityTrust, report.StatusFail,
			"is broken", "aws iam update-assume-role-policy --role-name chaos-pi"},
		{"trust for another namespace", func(f *Facts) {
			assoc(f).Role.Trust = pfPolicy(t, strings.Replace(piTrustHealthy, `kubernetes-namespace":"litmus"`, `kubernetes-namespace":"staging"`, 1))
		}, IDPodIdentityTrust, report.StatusFail, "POD_IDENTITY_CONDITION_MISMATCH", `"aws:RequestTag/kubernetes-namespace":"litmus"`},
		{"explicit deny", func(f *Facts) {
			assoc(f).Role.Trust = pfPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},`+
				`{"Effect":"Deny","Principal":"*","Action":"sts:TagSession"}]}`)
		}, IDPodIdentityTrust, report.StatusFail, "statement 1 denies it", ""},
		{"no TagSession but session tags disabled", func(f *Facts) {
			assoc(f).DisableSessionTags = true
			assoc(f).Role.Trust = pfPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
		}, IDPodIdentityTrust, report.StatusPass, "disables session tags", ""},
		{"pod older than the association", func(f *Facts) {
			f.Pods.Pods[0].CreatedAt = pfNow.Add(-48 * time.Hour)
			f.Pods.Pods[0].Containers[0].PodIdentity = ContainerPodIdentity{}
		}, IDPodsEnvInjected, report.StatusFail, "before the association", "kubectl delete pod -n litmus runner"},
		{"token volume missing", func(f *Facts) { f.Pods.Pods[0].Containers[0].PodIdentity.TokenMounted = false }, IDPodsEnvInjected, report.StatusFail,
			podiam.PodIdentityTokenVolume, ""},
		{"full URI elsewhere", func(f *Facts) { f.Pods.Pods[0].Containers[0].PodIdentity.FullURI = "http://10.0.0.9/creds" }, IDPodsEnvInjected, report.StatusFail,
			"not the Pod Identity agent", ""},
		{"loopback agent stand-in (sandbox)", func(f *Facts) {
			f.Pods.Pods[0].Containers[0].PodIdentity.FullURI = "http://127.0.0.1:38001/v1/credentials"
		}, IDPodsEnvInjected, report.StatusPass, "", ""},
		{"go-v1 with both mechanisms uses IRSA", func(f *Facts) {
			f.ExperimentSDK = credcheck.SDKGoV1
			f.SA = SAFact{Found: true, HasRoleAnnotation: true, RoleARN: piRole}
		}, IDPodIdentitySDK, report.StatusPass, "resolves IRSA first", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := podIdentityFacts(t)
			if c.mutate != nil {
				c.mutate(&f)
			}
			got := checkByID(t, Evaluate(f), c.id)
			if got.Status != c.status || !strings.Contains(got.Message, c.message) || !strings.Contains(got.Remedy, c.fixes) {
				t.Fatalf("%s = %s: %s\nfix: %s\nwant %s mentioning %q, fix %q", c.id, got.Status, got.Message, got.Remedy, c.status, c.message, c.fixes)
			}
		})
	}
}

var errBroken = errBrokenT("not a valid IAM policy document: the document is empty")

type errBrokenT string

func (e errBrokenT) Error() string { return string(e) }

// A Pod-Identity-only ServiceAccount's faults run with the associated role:
// iam.permissions and iam.least-privilege judge that role's policies (the
// IRSA checks skip), and without a readable role they point at
// podidentity.association, not at the skipped iam.role-exists.
func TestPodIdentityRoleIsTheOneWhosePermissionsAreJudged(t *testing.T) {
	fault := Fault{Name: "ec2-stop-by-id", Actions: []string{"ec2:StopInstances", "ec2:StartInstances"}}
	judged := func(mutate func(f *Facts)) report.Check {
		f := podIdentityFacts(t)
		f.Faults = []Fault{fault}
		f.Role = f.PodIdentity.Associations[0].Role
		mutate(&f)
		return findCheck(Evaluate(f), IDIAMPermissions)
	}
	allowed := judged(func(f *Facts) {
		f.Permissions = &PermissionsFact{Actions: []ActionDecision{{Action: "ec2:StopInstances", Decision: "allowed"}, {Action: "ec2:StartInstances", Decision: "allowed"}}}
	})
	if allowed.Status != report.StatusPass {
		t.Errorf("every action allowed to the associated role: %s %s", allowed.Status, allowed.Message)
	}
	missing := judged(func(f *Facts) {
		f.Permissions = &PermissionsFact{Actions: []ActionDecision{{Action: "ec2:StopInstances", Decision: "allowed"}, {Action: "ec2:StartInstances", Decision: "implicitDeny"}}}
	})
	if missing.Status != report.StatusFail || !strings.Contains(missing.Message, "ec2:StartInstances") || !strings.Contains(missing.Remedy, "chaos-pi") {
		t.Errorf("an action the associated role lacks: %s %q (fix %q)", missing.Status, missing.Message, missing.Remedy)
	}
	unread := judged(func(f *Facts) { f.Role = nil })
	if unread.Status != report.StatusSkip || !strings.Contains(unread.Message, "see "+IDPodIdentityAssociation) {
		t.Errorf("no role read: %s %q, want a skip pointing at %s", unread.Status, unread.Message, IDPodIdentityAssociation)
	}
	if f := podIdentityFacts(t); true {
		if role, check, ok := f.grantedRole(); !ok || role.Name != "chaos-pi" || check != IDPodIdentityAssociation {
			t.Errorf("grantedRole = %v %s %v, want the associated chaos-pi", role, check, ok)
		}
	}
}
