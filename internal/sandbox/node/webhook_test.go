package node

import (
	"context"
	"encoding/json"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/podcred/podcred/pkg/podiam"
)

func TestPodWebhookPatchesIRSAThenLoopback(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "runner", Namespace: "litmus",
		Annotations: map[string]string{podiam.AnnotationRoleARN: "arn:aws:iam::111122223333:role/chaos"}}}
	w := &podWebhook{client: fake.NewClientset(sa), region: "eu-west-1", loopback: func() []corev1.EnvVar {
		return []corev1.EnvVar{{Name: "KUBERNETES_SERVICE_HOST", Value: "127.0.0.1"}, {Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: "http://127.0.0.1:1"}}
	}}
	review := func(sa string) []corev1.Container {
		t.Helper()
		pod := corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "agent",
			Env: []corev1.EnvVar{{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: "http://127.0.0.1:2"}}}}}}
		raw, _ := json.Marshal(pod)
		resp := w.review(context.Background(), &admissionv1.AdmissionRequest{Namespace: "litmus", Object: runtime.RawExtension{Raw: raw}})
		if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("response %+v", resp)
		}
		var ops []struct {
			Op, Path string
			Value    corev1.PodSpec
		}
		if err := json.Unmarshal(resp.Patch, &ops); err != nil || len(ops) != 1 || ops[0].Op != "replace" || ops[0].Path != "/spec" {
			t.Fatalf("patch %s (%v)", resp.Patch, err)
		}
		if !ops[0].Value.HostNetwork {
			t.Errorf("hostNetwork not set")
		}
		return ops[0].Value.Containers
	}
	env := func(c corev1.Container) map[string]string {
		m := map[string]string{}
		for _, e := range c.Env {
			m[e.Name] = e.Value
		}
		return m
	}
	got := env(review("runner")[0])
	if got["AWS_ROLE_ARN"] != "arn:aws:iam::111122223333:role/chaos" || got["AWS_REGION"] != "eu-west-1" || got["KUBERNETES_SERVICE_HOST"] != "127.0.0.1" {
		t.Errorf("annotated SA: env %v", got)
	}
	if got["AWS_EC2_METADATA_SERVICE_ENDPOINT"] != "http://127.0.0.1:2" {
		t.Errorf("the container's own IMDS endpoint was overridden: %v", got)
	}
	if got := env(review("unannotated")[0]); got["AWS_ROLE_ARN"] != "" || got["KUBERNETES_SERVICE_HOST"] != "127.0.0.1" {
		t.Errorf("unannotated SA: env %v (no IRSA, loopback still)", got)
	}
}
