package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/report"
)

// The AWS documentation's example keys: never printed by preflight.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func secretWith(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestJudgeSecretFindsAWSKeysByContent(t *testing.T) {
	cases := []struct {
		name string
		data map[string]string
		want string // "" for none
	}{
		{"INI credentials file", map[string]string{"credentials": "[default]\naws_access_key_id = " + exampleKeyID + "\naws_secret_access_key = " + exampleSecret}, "credentials (credentials file)"},
		{"YAML config with the key", map[string]string{"config.yaml": "region: us-east-1\n  aws_access_key_id: something"}, "config.yaml (credentials file)"},
		{"a bare access key ID", map[string]string{"id": exampleKeyID}, "id (access key ID)"},
		{"a temporary key ID inside JSON", map[string]string{"creds.json": `{"k":"ASIAY34FZKBOKMUTVV7A"}`}, "creds.json (access key ID)"},
		{"a key named like the SDK variable", map[string]string{"AWS_SECRET_ACCESS_KEY": "x"}, "AWS_SECRET_ACCESS_KEY (key name)"},
		{"a key named like the INI entry", map[string]string{"aws_secret_access_key": "x"}, "aws_secret_access_key (key name)"},
		{"a GCP service account", map[string]string{"key.json": `{"type":"service_account","private_key_id":"abc"}`}, ""},
		{"too short to be a key ID", map[string]string{"id": "AKIA1234"}, ""},
		{"lower case is not a key ID", map[string]string{"id": strings.ToLower(exampleKeyID)}, ""},
		{"a key ID inside a longer token", map[string]string{"id": "XAKIAIOSFODNN7EXAMPLEX"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sf := judgeSecret(secretWith("s", c.data))
			var got []string
			for _, m := range sf.AWSKeys {
				got = append(got, m.Key+" ("+m.Why+")")
			}
			if strings.Join(got, ",") != c.want {
				t.Errorf("matches %v, want %q", got, c.want)
			}
			b, _ := json.Marshal(sf)
			if strings.Contains(string(b), exampleKeyID) || strings.Contains(string(b), exampleSecret) {
				t.Errorf("the fact holds a value: %s", b)
			}
		})
	}
}

// secretPod is a pod of litmus-admin; edit adds its Secret uses.
func secretPod(edit func(*corev1.PodSpec)) *corev1.Pod {
	p := injectedPod("litmus", "runner", "litmus-admin", pfRole, time.Now())
	edit(&p.Spec)
	return p
}

func runSecretChecks(t *testing.T, kube *fake.Clientset, chaos ...runtime.Object) (cloud, static report.Check) {
	t.Helper()
	r, _ := Run(context.Background(), Options{Namespace: "litmus", ServiceAccount: "litmus-admin", Issuer: "https://" + corpusHost,
		Kube: NewKubeSource(kube, chaosClient(chaos...)), IAM: newFakeIAMClient(t)})
	out, _ := json.Marshal(r)
	if strings.Contains(string(out), exampleKeyID) || strings.Contains(string(out), exampleSecret) {
		t.Fatalf("the report shows a secret value: %s", out)
	}
	return *r.Check(IDExperimentCloudSecret), *r.Check(IDExperimentStaticEnv)
}

func newFakeIAMClient(t *testing.T) IAMAPI {
	f := newFakeAWS(t)
	healthyAccount(f)
	ic, _ := f.clients()
	return ic
}

func TestCloudSecretJudgesSecretsByContentWhateverTheirName(t *testing.T) {
	keys := map[string]string{"credentials": "[default]\naws_access_key_id = " + exampleKeyID + "\naws_secret_access_key = " + exampleSecret}
	envKeys := map[string]string{"AWS_ACCESS_KEY_ID": exampleKeyID, "AWS_SECRET_ACCESS_KEY": exampleSecret, "REGION": "us-east-1"}
	projected := secretPod(func(s *corev1.PodSpec) {
		s.Volumes = append(s.Volumes, corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "team-aws"}}}}}}})
		s.Containers[0].VolumeMounts = append(s.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "creds", MountPath: "/etc/team"})
	})
	envFrom := secretPod(func(s *corev1.PodSpec) {
		s.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "runner-env"}}}}
	})
	regionOnly := secretPod(func(s *corev1.PodSpec) {
		s.Containers[0].Env = append(s.Containers[0].Env, corev1.EnvVar{Name: "REGION", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "runner-env"}, Key: "REGION"}}})
	})
	engine := chaosEngine("litmus", "engine", "litmus-admin", "ec2-stop-by-id")
	_ = unstructured.SetNestedSlice(engine.Object, []any{map[string]any{"name": "ec2-stop-by-id", "spec": map[string]any{"components": map[string]any{
		"secrets": []any{map[string]any{"name": "ops-keys", "mountPath": "/etc/ops/"}}}}}}, "spec", "experiments")

	cases := []struct {
		name          string
		objs          []runtime.Object
		chaos         []runtime.Object
		cloud, static report.Status
		has           []string
	}{
		{"a projected Secret named anything", []runtime.Object{secretWith("team-aws", keys), projected}, nil, report.StatusFail, report.StatusPass,
			[]string{"pod runner uses secret team-aws", "credentials (credentials file)", "mounts it at /etc/team", "kubectl delete pod -n litmus runner"}},
		{"envFrom puts the keys in the env", []runtime.Object{secretWith("runner-env", envKeys), envFrom}, nil, report.StatusFail, report.StatusFail,
			[]string{"secret runner-env", "AWS_ACCESS_KEY_ID (key name)", "envFrom"}},
		{"one non-AWS key read from a Secret that holds keys", []runtime.Object{secretWith("runner-env", envKeys), regionOnly}, nil, report.StatusPass, report.StatusPass, nil},
		{"a ChaosEngine component Secret", []runtime.Object{secretWith("ops-keys", map[string]string{"id": exampleKeyID})}, []runtime.Object{engine},
			report.StatusFail, report.StatusPass, []string{"ChaosEngine engine mounts secret ops-keys at /etc/ops/", `"path":"/spec/experiments/0/spec/components/secrets/0"`}},
		{"a cloud-secret without AWS keys", []runtime.Object{secretWith(LitmusCloudSecret, map[string]string{"key.json": `{"type":"service_account"}`})},
			[]runtime.Object{chaosExperimentWithSecret("litmus", "ec2-stop-by-id", LitmusCloudSecret)}, report.StatusPass, report.StatusPass, nil},
		{"a cloud-secret with keys", []runtime.Object{secretWith(LitmusCloudSecret, keys)},
			[]runtime.Object{chaosExperimentWithSecret("litmus", "ec2-stop-by-id", LitmusCloudSecret)}, report.StatusFail, report.StatusPass,
			[]string{"mounts secret cloud-secret at /tmp/", `[{"op":"remove","path":"/spec/definition/secrets/0"}]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kube := fake.NewClientset(append(c.objs, annotatedSA("litmus", "litmus-admin", pfRole, time.Now()))...)
			cloud, static := runSecretChecks(t, kube, c.chaos...)
			if cloud.Status != c.cloud || static.Status != c.static {
				t.Fatalf("cloud-secret %s (want %s): %s %s\nstatic-env %s (want %s): %s", cloud.Status, c.cloud, cloud.Message, cloud.Remedy,
					static.Status, c.static, static.Message)
			}
			text := cloud.Message + "\n" + cloud.Remedy + "\n" + static.Message
			for _, w := range c.has {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func chaosExperimentWithSecret(ns, name, secret string) *unstructured.Unstructured {
	u := chaosExperiment(ns, name, false)
	_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"name": secret, "mountPath": "/tmp/"}}, "spec", "definition", "secrets")
	return u
}

func TestCloudSecretWarnsWhenTooManySecretsToJudge(t *testing.T) {
	pod := secretPod(func(s *corev1.PodSpec) {
		for i := range maxSecrets + 1 {
			s.Containers[0].EnvFrom = append(s.Containers[0].EnvFrom, corev1.EnvFromSource{
				SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: fmt.Sprintf("s%02d", i)}}})
		}
	})
	cloud, _ := runSecretChecks(t, fake.NewClientset(annotatedSA("litmus", "litmus-admin", pfRole, time.Now()), pod))
	if cloud.Status != report.StatusWarn || !strings.Contains(cloud.Message, "only the first 50") {
		t.Errorf("cloud-secret = %s: %s", cloud.Status, cloud.Message)
	}
}

func TestCloudSecretErrorsWhenSecretsCannotBeRead(t *testing.T) {
	pod := secretPod(func(s *corev1.PodSpec) {
		s.Volumes = append(s.Volumes, corev1.Volume{Name: "k", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "team-aws"}}})
		s.Containers[0].VolumeMounts = append(s.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "k", MountPath: "/k"})
	})
	kube := fake.NewClientset(annotatedSA("litmus", "litmus-admin", pfRole, time.Now()), pod)
	kube.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "team-aws", nil)
	})
	cloud, _ := runSecretChecks(t, kube)
	if cloud.Status != report.StatusError || !strings.Contains(cloud.Message, "team-aws") || !strings.Contains(cloud.Remedy, "--verb=get --resource=secrets") {
		t.Errorf("cloud-secret = %s: %s / %s", cloud.Status, cloud.Message, cloud.Remedy)
	}
}
