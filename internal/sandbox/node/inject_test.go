package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

func TestInjectIRSALikeThePodIdentityWebhook(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{podiam.AnnotationRoleARN: "arn:aws:iam::123456789012:role/r"}}}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "AWS_REGION", Value: "keep-me"}}}}}}
	InjectIRSA(pod, sa, "eu-west-1")
	env := map[string]string{}
	for _, e := range pod.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["AWS_ROLE_ARN"] != "arn:aws:iam::123456789012:role/r" || env["AWS_WEB_IDENTITY_TOKEN_FILE"] != podiam.TokenPath ||
		env["AWS_REGION"] != "keep-me" || env["AWS_DEFAULT_REGION"] != "eu-west-1" || env["AWS_STS_REGIONAL_ENDPOINTS"] != "regional" {
		t.Fatalf("env %v", env)
	}
	vol := pod.Spec.Volumes[0].Projected.Sources[0].ServiceAccountToken
	if vol.Audience != podiam.DefaultAudience || *vol.ExpirationSeconds != 86400 || vol.Path != "token" {
		t.Fatalf("token volume %+v", vol)
	}
	if m := pod.Spec.Containers[0].VolumeMounts[0]; m.MountPath != podiam.TokenDir || !m.ReadOnly {
		t.Fatalf("mount %+v", m)
	}

	bare := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	InjectIRSA(bare, &corev1.ServiceAccount{}, "eu-west-1")
	if len(bare.Spec.Volumes) != 0 || len(bare.Spec.Containers[0].Env) != 0 {
		t.Fatal("an SA without role annotation got injected")
	}
}
