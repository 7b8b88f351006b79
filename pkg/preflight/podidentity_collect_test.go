package preflight

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

const (
	piRole         = "arn:aws:iam::123456789012:role/chaos-pi"
	piTrustHealthy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],` +
		`"Condition":{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"litmus","aws:RequestTag/kubernetes-service-account":"litmus-admin"}}}]}`
)

func plainSA(ns, name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// piPod is a pod as the EKS webhook mutates it for Pod Identity.
func piPod(ns, name, sa string, created time.Time) *corev1.Pod {
	fs := int64(65532)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.Time{Time: created}},
		Spec: corev1.PodSpec{ServiceAccountName: sa, SecurityContext: &corev1.PodSecurityContext{FSGroup: &fs},
			Containers: []corev1.Container{{Name: "main",
				Env: []corev1.EnvVar{{Name: podiam.EnvContainerCredsFullURI, Value: podiam.PodIdentityAgentURI},
					{Name: podiam.EnvContainerAuthTokenFile, Value: podiam.PodIdentityTokenPath}},
				VolumeMounts: []corev1.VolumeMount{{Name: podiam.PodIdentityTokenVolume, MountPath: podiam.PodIdentityTokenDir, ReadOnly: true}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

// runPodIdentity runs preflight for litmus/litmus-admin against the fake
// account and the given Kubernetes objects, with Pod Identity look-ups on.
func runPodIdentity(t *testing.T, aws *fakeAWS, sdk string, objs ...any) (*report.Report, Facts) {
	t.Helper()
	ic, ec := aws.clients()
	kube := fake.NewClientset()
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.ServiceAccount:
			_, _ = kube.CoreV1().ServiceAccounts(v.Namespace).Create(context.Background(), v, metav1.CreateOptions{})
		case *corev1.Pod:
			_, _ = kube.CoreV1().Pods(v.Namespace).Create(context.Background(), v, metav1.CreateOptions{})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, Options{
		Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab", ExperimentSDK: sdk,
		Kube: NewKubeSource(kube, nil), EKS: ec, IAM: ic, PodIdentity: NewPodIdentitySource(ec, "us-east-1"),
		CallTimeout: 2 * time.Second,
	})
}

func newPIAccount(t *testing.T, trust string) *fakeAWS {
	t.Helper()
	aws := newFakeAWS(t)
	healthyAccount(aws)
	aws.roles["chaos-pi"] = &fakeRole{trust: trust}
	aws.pi.assocs = []fakeAssociation{{cluster: "chaos-lab", ns: "litmus", sa: "litmus-admin", id: "a-0123456789abcdef0", role: piRole, created: time.Now().Add(-2 * time.Hour)},
		{cluster: "chaos-lab", ns: "other", sa: "litmus-admin", id: "a-other", role: piRole, created: time.Now()}}
	return aws
}

func TestPodIdentityOnlyServiceAccountThroughTheWire(t *testing.T) {
	aws := newPIAccount(t, piTrustHealthy)
	r, f := runPodIdentity(t, aws, credcheck.SDKGoV2, plainSA("litmus", "litmus-admin"), piPod("litmus", "runner", "litmus-admin", time.Now().Add(-time.Hour)))
	got := statuses(r)
	for id, want := range map[string]report.Status{
		IDPodIdentityAssociation: report.StatusPass, IDPodIdentityTrust: report.StatusPass, IDPodIdentitySDK: report.StatusPass,
		IDPodsEnvInjected: report.StatusPass, IDSARoleAnnotation: report.StatusSkip, IDIAMRoleExists: report.StatusSkip,
		IDTrustPrincipal: report.StatusSkip, IDClusterOIDCIssuer: report.StatusSkip, IDIAMOIDCProvider: report.StatusSkip,
	} {
		if got[id] != want {
			c := r.Check(id)
			t.Errorf("%s = %s, want %s: %s %s", id, got[id], want, c.Message, c.Remedy)
		}
	}
	if c := r.Check(IDSARoleAnnotation); !strings.Contains(c.Message, "EKS Pod Identity") {
		t.Errorf("the IRSA skip does not name Pod Identity: %s", c.Message)
	}
	if c := r.Check(IDPodIdentityAssociation); c.Evidence["mechanism"] != "pod-identity" || c.Evidence["associationId"] != "a-0123456789abcdef0" {
		t.Errorf("evidence %v", c.Evidence)
	}
	if r.Subject.RoleArn != piRole {
		t.Errorf("report names role %q, want the association's %s", r.Subject.RoleArn, piRole)
	}
	if len(f.PodIdentity.Associations) != 1 || f.PodIdentity.Region != "us-east-1" {
		t.Errorf("facts %+v", f.PodIdentity)
	}
	if aws.count("ListPodIdentityAssociations") != 1 || aws.count("DescribePodIdentityAssociation") != 1 || aws.count("ListFargateProfiles") != 1 {
		t.Errorf("calls %v", aws.calls)
	}
}

func TestPodIdentityFailuresThroughTheWire(t *testing.T) {
	wrongPrincipal := strings.Replace(piTrustHealthy, podiam.PodIdentityService, "ec2.amazonaws.com", 1)
	noTagSession := strings.Replace(piTrustHealthy, `["sts:AssumeRole","sts:TagSession"]`, `"sts:AssumeRole"`, 1)
	cases := []struct {
		name    string
		trust   string
		setup   func(*fakeAWS)
		sdk     string
		sa      *corev1.ServiceAccount
		id      string
		status  report.Status
		message string
		remedy  string
	}{
		{"no association and no annotation", piTrustHealthy, func(a *fakeAWS) { a.pi.assocs = nil }, credcheck.SDKGoV2, nil,
			IDPodIdentityAssociation, report.StatusFail, "neither an EKS Pod Identity association",
			"aws eks create-pod-identity-association --cluster-name chaos-lab --namespace litmus --service-account litmus-admin --role-arn"},
		{"no association: the annotation check names both", piTrustHealthy, func(a *fakeAWS) { a.pi.assocs = nil }, credcheck.SDKGoV2, nil,
			IDSARoleAnnotation, report.StatusFail, "either mechanism would do", "create-pod-identity-association"},
		{"wrong principal", wrongPrincipal, nil, credcheck.SDKGoV2, nil,
			IDPodIdentityTrust, report.StatusFail, "ec2.amazonaws.com", `"Service":"pods.eks.amazonaws.com"`},
		{"no TagSession", noTagSession, nil, credcheck.SDKGoV2, nil,
			IDPodIdentityTrust, report.StatusFail, trustpolicy.LintPodIdentityNoTagSession, `"sts:TagSession"`},
		{"go-v1 experiment", piTrustHealthy, nil, credcheck.SDKGoV1, nil,
			IDPodIdentitySDK, report.StatusFail, podiam.MinV1PodIdentity, "--experiment-sdk go-v2"},
		{"both mechanisms", piTrustHealthy, nil, credcheck.SDKGoV1, annotatedSA("litmus", "litmus-admin", piRole, time.Now()),
			IDPodIdentityAssociation, report.StatusWarn, "resolve IRSA (web identity) first", "kubectl annotate serviceaccount -n litmus litmus-admin eks.amazonaws.com/role-arn-"},
		{"no permission to list associations", piTrustHealthy, func(a *fakeAWS) { a.pi.denied = true }, credcheck.SDKGoV2, nil,
			IDPodIdentityAssociation, report.StatusError, "AccessDeniedException", "eks:ListPodIdentityAssociations"},
		{"no permission and no annotation: unknown, not a fail", piTrustHealthy, func(a *fakeAWS) { a.pi.denied = true }, credcheck.SDKGoV2, nil,
			IDSARoleAnnotation, report.StatusError, "could not be read", "eks:ListPodIdentityAssociations"},
		{"Fargate-only namespace", piTrustHealthy, func(a *fakeAWS) {
			a.pi.fargate = map[string][]map[string]any{"chaos": {{"namespace": "lit*"}}}
		}, credcheck.SDKGoV2, nil, IDPodIdentityAssociation, report.StatusFail, "Fargate profile chaos", "delete-pod-identity-association"},
		{"Fargate profiles unreadable", piTrustHealthy, func(a *fakeAWS) { a.pi.fargateDenied = true }, credcheck.SDKGoV2, nil,
			IDPodIdentityAssociation, report.StatusError, "Fargate", "eks:ListFargateProfiles"},
		{"associated role missing", piTrustHealthy, func(a *fakeAWS) { delete(a.roles, "chaos-pi") }, credcheck.SDKGoV2, nil,
			IDPodIdentityAssociation, report.StatusFail, "does not exist", "aws iam create-role --role-name chaos-pi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newPIAccount(t, c.trust)
			if c.setup != nil {
				c.setup(aws)
			}
			sa := c.sa
			if sa == nil {
				sa = plainSA("litmus", "litmus-admin")
			}
			r, _ := runPodIdentity(t, aws, c.sdk, sa)
			got := r.Check(c.id)
			if got.Status != c.status || !strings.Contains(got.Message, c.message) || !strings.Contains(got.Remedy, c.remedy) {
				t.Fatalf("%s = %s: %s\nfix: %s\nwant %s mentioning %q, fix %q", c.id, got.Status, got.Message, got.Remedy, c.status, c.message, c.remedy)
			}
		})
	}
}
