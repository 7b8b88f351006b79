package preflightcli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
)

// TestLocalAgentRunnerPlaysWebhookAndKubelet runs a stand-in agent (a shell
// script recording its arguments, environment and token) as the Job's pod.
func TestLocalAgentRunnerPlaysWebhookAndKubelet(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "record")
	agent := filepath.Join(dir, "agent")
	script := "#!/bin/sh\n{ echo \"ARGS=$*\"; env; echo \"TOKEN=$(cat \"$AWS_WEB_IDENTITY_TOKEN_FILE\")\"; } > " + record + "\n"
	if err := os.WriteFile(agent, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	s := sa("litmus", "litmus-admin", roleARN)
	s.Annotations[podiam.AnnotationAudience] = "sts.amazonaws.com"
	c := fake.NewClientset(s)
	var audiences [][]string
	c.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "token" {
			return false, nil, nil
		}
		tr := a.(k8stesting.CreateAction).GetObject().(*authv1.TokenRequest)
		audiences = append(audiences, tr.Spec.Audiences)
		if tr.Spec.BoundObjectRef == nil || tr.Spec.BoundObjectRef.Kind != "Pod" || tr.Spec.BoundObjectRef.Name != "podcred-verify-litmus-admin-local" {
			t.Errorf("token not bound to the pod: %+v", tr.Spec.BoundObjectRef)
		}
		tr.Status.Token = "minted-" + strings.Join(tr.Spec.Audiences, ",")
		return true, tr, nil
	})
	env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDADMIN", "AWS_SECRET_ACCESS_KEY": "admin-secret"}
	l := &LocalAgentRunner{Agent: agent, REST: &rest.Config{Host: "https://127.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{CAData: []byte("CA")}},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	job := preflight.VerificationJob("litmus", "litmus-admin", "")
	if err := l.RunJob(context.Background(), c, job); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, want := range []string{"ARGS=--sink stdout,configmap,annotation,event --kubeconfig ", "AWS_ROLE_ARN=" + roleARN, "AWS_REGION=eu-west-1",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9", "POD_NAME=podcred-verify-litmus-admin-local", "POD_NAMESPACE=litmus",
		"POD_SERVICE_ACCOUNT=litmus-admin", "AWS_EC2_METADATA_DISABLED=true", "TOKEN=minted-sts.amazonaws.com"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("the agent did not get %q:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), "AKIDADMIN") || strings.Contains(string(raw), "admin-secret") {
		t.Errorf("the caller's AWS keys reached the agent:\n%s", raw)
	}
	if len(audiences) != 2 || !slices.Equal(audiences[0], []string{"sts.amazonaws.com"}) || len(audiences[1]) != 0 {
		t.Errorf("token audiences %v", audiences)
	}
	if _, err := c.CoreV1().Pods("litmus").Get(context.Background(), "podcred-verify-litmus-admin-local", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the pod was left behind: %v", err)
	}
}

func TestLocalAgentRunnerInjectsNothingWithoutTheAnnotation(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "record")
	agent := filepath.Join(dir, "agent")
	if err := os.WriteFile(agent, []byte("#!/bin/sh\nenv > "+record+"\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "litmus", Name: "plain"}})
	c.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authv1.TokenRequest)
		tr.Status.Token = "kube-token"
		return true, tr, nil
	})
	l := &LocalAgentRunner{Agent: agent, REST: &rest.Config{Host: "https://127.0.0.1:6443"}}
	if err := l.RunJob(context.Background(), c, preflight.VerificationJob("litmus", "plain", "")); err != nil {
		t.Fatalf("a failing agent is a verdict, not a runner error: %v", err)
	}
	raw, _ := os.ReadFile(record)
	if strings.Contains(string(raw), "AWS_ROLE_ARN") || strings.Contains(string(raw), "AWS_WEB_IDENTITY_TOKEN_FILE") {
		t.Errorf("injected without an annotation:\n%s", raw)
	}
}
