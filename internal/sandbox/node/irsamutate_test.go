package node

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// These cases follow aws/amazon-eks-pod-identity-webhook pkg/handler/testdata
// (rawPodWithInitContainer, skip-containers, token-expiration, sts-regional-endpoints).
func TestIRSAPatchFollowsThePodIdentityWebhookContract(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/chaos"
	sa := func(ann map[string]string) *corev1.ServiceAccount {
		a := map[string]string{podiam.AnnotationRoleARN: role}
		for k, v := range ann {
			a[k] = v
		}
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa", Annotations: a}}
	}
	pod := func(ann map[string]string, env ...corev1.EnvVar) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: ann}, Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "gate", Env: env}},
			Containers:     []corev1.Container{{Name: "main", Env: env}, {Name: "sidecar"}},
		}}
	}
	cases := []struct {
		name       string
		pod        *corev1.Pod
		sa         *corev1.ServiceAccount
		wantExp    int64
		wantAud    string
		regional   bool
		skipped    string
		keptRegion string
	}{
		{name: "defaults: 86400 s, sts audience, regional, init containers too", pod: pod(nil), sa: sa(nil), wantExp: 86400, wantAud: podiam.DefaultAudience, regional: true},
		{name: "the pod's token-expiration beats the ServiceAccount's", pod: pod(map[string]string{podiam.AnnotationTokenExpiration: "3600"}), sa: sa(map[string]string{podiam.AnnotationTokenExpiration: "7200"}), wantExp: 3600, wantAud: podiam.DefaultAudience, regional: true},
		{name: "an expiration under 600 s is raised to 600", pod: pod(nil), sa: sa(map[string]string{podiam.AnnotationTokenExpiration: "60"}), wantExp: 600, wantAud: podiam.DefaultAudience, regional: true},
		{name: "audience and sts-regional-endpoints from the ServiceAccount", pod: pod(nil), sa: sa(map[string]string{podiam.AnnotationAudience: "custom", RegionalSTSAnnotation: "false"}), wantExp: 86400, wantAud: "custom"},
		{name: "skip-containers leaves the named containers alone", pod: pod(map[string]string{SkipContainersAnnotation: "sidecar, gate"}), sa: sa(nil), wantExp: 86400, wantAud: podiam.DefaultAudience, regional: true, skipped: "sidecar,gate"},
		{name: "a region the container sets is kept", pod: pod(nil, corev1.EnvVar{Name: "AWS_REGION", Value: "eu-west-1"}), sa: sa(nil), wantExp: 86400, wantAud: podiam.DefaultAudience, regional: true, keptRegion: "eu-west-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := irsaPatchFor(tc.pod, tc.sa, "us-east-1")
			if !ok {
				t.Fatal("no patch for an annotated ServiceAccount")
			}
			spec := *tc.pod.Spec.DeepCopy()
			p.apply(&spec)
			p.apply(&spec) // idempotent, as the webhook's existence checks make it
			if len(spec.Volumes) != 1 || spec.Volumes[0].Name != podiam.TokenVolume {
				t.Fatalf("volumes %+v", spec.Volumes)
			}
			tok := spec.Volumes[0].Projected.Sources[0].ServiceAccountToken
			if *tok.ExpirationSeconds != tc.wantExp || tok.Audience != tc.wantAud || tok.Path != "token" {
				t.Errorf("token projection %+v, want exp %d aud %s", tok, tc.wantExp, tc.wantAud)
			}
			all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
			for _, c := range all {
				skipped := tc.skipped != "" && containsName(tc.skipped, c.Name)
				env := map[string]string{}
				for _, e := range c.Env {
					if _, dup := env[e.Name]; dup {
						t.Errorf("%s: %s set twice", c.Name, e.Name)
					}
					env[e.Name] = e.Value
				}
				if skipped {
					if env["AWS_ROLE_ARN"] != "" || len(c.VolumeMounts) != 0 {
						t.Errorf("%s was to be skipped: %+v", c.Name, c)
					}
					continue
				}
				if env["AWS_ROLE_ARN"] != role || env["AWS_WEB_IDENTITY_TOKEN_FILE"] != podiam.TokenPath {
					t.Errorf("%s env %v", c.Name, env)
				}
				if (env["AWS_STS_REGIONAL_ENDPOINTS"] == "regional") != tc.regional {
					t.Errorf("%s AWS_STS_REGIONAL_ENDPOINTS=%q, want regional=%v", c.Name, env["AWS_STS_REGIONAL_ENDPOINTS"], tc.regional)
				}
				if tc.keptRegion != "" && c.Name != "sidecar" {
					if env["AWS_REGION"] != tc.keptRegion || env["AWS_DEFAULT_REGION"] != "" {
						t.Errorf("%s region env %v, want only AWS_REGION=%s", c.Name, env, tc.keptRegion)
					}
				} else if env["AWS_REGION"] != "us-east-1" || env["AWS_DEFAULT_REGION"] != "us-east-1" {
					t.Errorf("%s region env %v", c.Name, env)
				}
				if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != podiam.TokenDir || !c.VolumeMounts[0].ReadOnly {
					t.Errorf("%s mounts %+v", c.Name, c.VolumeMounts)
				}
			}
		})
	}
}

func TestIRSAPatchLeavesPodsOfUnannotatedServiceAccountsAlone(t *testing.T) {
	if _, ok := irsaPatchFor(&corev1.Pod{}, &corev1.ServiceAccount{}, "us-east-1"); ok {
		t.Error("patched a pod whose ServiceAccount has no role-arn")
	}
	if _, ok := irsaPatchFor(&corev1.Pod{}, nil, "us-east-1"); ok {
		t.Error("patched a pod whose ServiceAccount does not exist")
	}
}

func containsName(list, name string) bool {
	return slices.Contains(strings.Split(list, ","), name)
}
