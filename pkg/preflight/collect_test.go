package preflight

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

const pfHealthyTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + pfProvider + `"},` +
	`"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + pfHealthyConditions + `}]}`

// healthyAccount fills the fake with a cluster, its provider and role chaos-ec2.
func healthyAccount(f *fakeAWS) {
	f.clusters["chaos-lab"] = "https://" + corpusHost
	f.providers[pfProvider] = []string{podiam.DefaultAudience}
	f.roles["chaos-ec2"] = &fakeRole{trust: pfHealthyTrust,
		inline:   map[string]string{"ec2-stop": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances"],"Resource":"*"}]}`},
		attached: []string{"arn:aws:iam::123456789012:policy/ec2-describe"}}
	f.policies["arn:aws:iam::123456789012:policy/ec2-describe"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeInstanceStatus","autoscaling:DescribeAutoScalingInstances"],"Resource":"*"}]}`
	f.allowed["chaos-ec2"] = []string{"ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "autoscaling:DescribeAutoScalingInstances"}
}

func annotatedSA(ns, name, role string, at time.Time) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Annotations: map[string]string{podiam.AnnotationRoleARN: role},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl-annotate", Operation: metav1.ManagedFieldsOperationUpdate,
			Time:     &metav1.Time{Time: at},
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:annotations":{"f:eks.amazonaws.com/role-arn":{}}}}`)}}},
	}}
}

func injectedPod(ns, name, sa, role string, created time.Time) *corev1.Pod {
	fs := int64(65532)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.Time{Time: created}},
		Spec: corev1.PodSpec{ServiceAccountName: sa, SecurityContext: &corev1.PodSecurityContext{FSGroup: &fs},
			Containers: []corev1.Container{{Name: "main",
				Env:          []corev1.EnvVar{{Name: podiam.EnvRoleARN, Value: role}, {Name: podiam.EnvTokenFile, Value: podiam.TokenPath}},
				VolumeMounts: []corev1.VolumeMount{{Name: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount", ReadOnly: true}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func chaosExperiment(ns, name string, cloudSecret bool) *unstructured.Unstructured {
	def := map[string]any{
		"image": "litmuschaos/go-runner:latest",
		"args":  []any{"-c", "./experiments -name ec2-terminate-by-id"},
		"env":   []any{map[string]any{"name": "REGION", "value": "us-east-1"}},
	}
	if cloudSecret {
		def["env"] = append(def["env"].([]any), map[string]any{"name": podiam.EnvSharedCredsFile, "value": "/tmp/cloud_config.yml"})
		def["secrets"] = []any{map[string]any{"name": LitmusCloudSecret, "mountPath": "/tmp/"}}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "litmuschaos.io/v1alpha1", "kind": kindChaosExperiment,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"definition": def},
	}}
}

func chaosEngine(ns, name, sa, experiment string, env ...map[string]any) *unstructured.Unstructured {
	var list []any
	for _, e := range env {
		list = append(list, e)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "litmuschaos.io/v1alpha1", "kind": kindChaosEngine,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"chaosServiceAccount": sa, "experiments": []any{map[string]any{
			"name": experiment, "spec": map[string]any{"components": map[string]any{"env": list}}}}},
	}}
}

func chaosClient(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		chaosExperimentsGVR: "ChaosExperimentList", chaosEnginesGVR: "ChaosEngineList",
		workflowsGVR: "WorkflowList", workflowTemplatesGVR: "WorkflowTemplateList"}, objs...)
}

func statuses(r *report.Report) map[string]report.Status {
	m := map[string]report.Status{}
	for _, c := range r.Checks {
		m[c.ID] = c.Status
	}
	return m
}

func TestPreflightCollectsThroughRealWireFormats(t *testing.T) {
	aws := newFakeAWS(t)
	healthyAccount(aws)
	ic, ec := aws.clients()
	ec2 := newFakeEC2(t)
	ec2.instances["i-0aaa"] = fakeInstance{tokens: "required", hops: 1, endpoint: "enabled"}
	annotated := time.Now().Add(-time.Hour)
	kube := fake.NewClientset(
		ec2Node("ip-10-0-1-10.ec2.internal", "i-0aaa", nil),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: LitmusCloudSecret},
			Data: map[string][]byte{"cloud_config.yml": []byte("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n")}},
		annotatedSA("litmus", "litmus-admin", pfRole, annotated),
		injectedPod("litmus", "runner", "litmus-admin", pfRole, time.Now()),
		injectedPod("litmus", "other", "someone-else", pfRole, time.Now()),
	)
	dyn := chaosClient(chaosExperiment("litmus", "ec2-stop-by-id", true), chaosEngine("litmus", "engine", "litmus-admin", "ec2-stop-by-id"))
	r, f := Run(context.Background(), Options{
		Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab",
		Kube: NewKubeSource(kube, dyn), EKS: ec, IAM: ic, EC2: ec2.client(),
	})
	got := statuses(r)
	for _, s := range Specs {
		want := report.StatusPass
		switch s.ID {
		case IDExperimentCloudSecret:
			want = report.StatusFail
		case IDJobVerification, IDPodIdentityAssociation, IDPodIdentityTrust, IDPodIdentitySDK:
			want = report.StatusSkip
		case IDExperimentGate: // the engine has no probe
			want = report.StatusWarn
		}
		if got[s.ID] != want {
			c := r.Check(s.ID)
			t.Errorf("%s = %s, want %s: %s %s", s.ID, got[s.ID], want, c.Message, c.Remedy)
		}
	}
	if f.Issuer.URL != "https://"+corpusHost || f.Issuer.Source != IssuerFromEKS {
		t.Errorf("issuer %+v", f.Issuer)
	}
	if !f.FaultsInferred || len(f.Faults) != 1 || f.Faults[0].Name != "ec2-terminate-by-id" {
		t.Errorf("faults %+v inferred %v", f.Faults, f.FaultsInferred)
	}
	if len(f.Pods.Pods) != 1 || !f.SA.AnnotatedAt.Equal(annotated.Truncate(time.Second)) && !f.SA.AnnotatedAt.Equal(annotated) {
		t.Errorf("pods %+v annotated at %v", f.Pods.Pods, f.SA.AnnotatedAt)
	}
	if len(f.Grants.Policies) != 2 {
		t.Errorf("grants %+v", f.Grants.Policies)
	}
	if !strings.Contains(r.Check(IDExperimentCloudSecret).Remedy, `"path":"/spec/definition/secrets/0"`) {
		t.Errorf("cloud-secret remedy: %s", r.Check(IDExperimentCloudSecret).Remedy)
	}
	for _, op := range []string{"DescribeCluster", "ListOpenIDConnectProviders", "GetOpenIDConnectProvider", "GetRole", "SimulatePrincipalPolicy",
		"ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy", "GetPolicy", "GetPolicyVersion"} {
		if n := aws.count(op); n != 1 {
			t.Errorf("%s called %d times, want once", op, n)
		}
	}
}

func TestPreflightMapsAWSAnswersToFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fakeAWS, o *Options)
		id    string
		want  report.Status
	}{
		{"unknown cluster", func(f *fakeAWS, o *Options) { o.Cluster = "nope" }, IDClusterOIDCIssuer, report.StatusFail},
		{"no provider", func(f *fakeAWS, o *Options) { delete(f.providers, pfProvider) }, IDIAMOIDCProvider, report.StatusFail},
		{"provider without the audience", func(f *fakeAWS, o *Options) { f.providers[pfProvider] = []string{"vault"} }, IDIAMOIDCAudience, report.StatusFail},
		{"role deleted", func(f *fakeAWS, o *Options) { delete(f.roles, "chaos-ec2") }, IDIAMRoleExists, report.StatusFail},
		{"fault the role lacks", func(f *fakeAWS, o *Options) { o.Faults = []string{"ebs-loss-by-id"} }, IDIAMPermissions, report.StatusFail},
		{"broken trust", func(f *fakeAWS, o *Options) {
			f.roles["chaos-ec2"].trust = `{"Version":"2012-10-17","Statement":[`
		}, IDTrustPrincipal, report.StatusFail},
		{"issuer given, no EKS call", func(f *fakeAWS, o *Options) { o.Cluster, o.Issuer = "", "https://"+corpusHost }, IDClusterOIDCIssuer, report.StatusPass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newFakeAWS(t)
			healthyAccount(aws)
			ic, ec := aws.clients()
			kube := fake.NewClientset(annotatedSA("litmus", "litmus-admin", pfRole, time.Now()))
			o := Options{Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab", Kube: NewKubeSource(kube, nil), EKS: ec, IAM: ic}
			c.setup(aws, &o)
			r, _ := Run(context.Background(), o)
			if got := r.Check(c.id); got.Status != c.want {
				t.Fatalf("%s = %s, want %s: %s", c.id, got.Status, c.want, got.Message)
			}
		})
	}
}

func TestPreflightSkipsChaosChecksWithoutLitmusCRDs(t *testing.T) {
	aws := newFakeAWS(t)
	healthyAccount(aws)
	ic, ec := aws.clients()
	dyn := chaosClient()
	dyn.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "litmuschaos.io", Resource: a.GetResource().Resource}, "")
	})
	kube := fake.NewClientset(annotatedSA("litmus", "litmus-admin", pfRole, time.Now()))
	r, f := Run(context.Background(), Options{Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab",
		Kube: NewKubeSource(kube, dyn), EKS: ec, IAM: ic})
	if !f.Chaos.CRDsAbsent {
		t.Fatalf("chaos %+v", f.Chaos)
	}
	for _, id := range []string{IDExperimentCloudSecret, IDExperimentStaticEnv} {
		if c := r.Check(id); c.Status != report.StatusSkip {
			t.Errorf("%s = %s: %s", id, c.Status, c.Message)
		}
	}
	if r.Verdict != report.VerdictPass {
		t.Errorf("verdict %s: %v", r.Verdict, r.FailingIDs())
	}
}

func TestPreflightReadsTheExperimentNamedAndItsEngines(t *testing.T) {
	kube := fake.NewClientset()
	dyn := chaosClient(chaosExperiment("litmus", "ec2-stop-by-id", false), chaosExperiment("litmus", "ebs-loss-by-id", true),
		chaosEngine("litmus", "e1", "other-sa", "ec2-stop-by-id", map[string]any{"name": podiam.EnvAccessKeyID, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "k", "key": "id"}}}),
		chaosEngine("litmus", "e2", "litmus-admin", "ebs-loss-by-id"))
	k := NewKubeSource(kube, dyn)
	cf := k.chaosOf(context.Background(), "litmus", "litmus-admin", "ec2-stop-by-id")
	var names []string
	for _, o := range cf.Objects {
		names = append(names, o.Kind+"/"+o.Name)
	}
	if strings.Join(names, ",") != "ChaosExperiment/ec2-stop-by-id,ChaosEngine/e1" {
		t.Fatalf("objects %v", names)
	}
	if e := cf.Objects[1].Env[0]; e.Name != podiam.EnvAccessKeyID || !e.FromSecret || e.Path != "/spec/experiments/0/spec/components/env/0" {
		t.Errorf("engine env %+v", e)
	}
	if cf := k.chaosOf(context.Background(), "litmus", "litmus-admin", "missing"); cf.MissingExperiment != "missing" {
		t.Errorf("missing experiment not reported: %+v", cf)
	}
}
