package node

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// defaultExpSecs is the webhook's default token lifetime.
const defaultExpSecs = int64(86400)

// InjectIRSA mutates pod as the pod identity webhook does for a ServiceAccount
// carrying a role annotation: AWS_* variables in every container, and the
// projected token volume (audience sts.amazonaws.com, 86400 s) mounted read-only.
// It does nothing when the SA has no role annotation.
func InjectIRSA(pod *corev1.Pod, sa *corev1.ServiceAccount, region string) {
	roleARN := sa.Annotations[podiam.AnnotationRoleARN]
	if roleARN == "" {
		return
	}
	audience := podiam.DefaultAudience
	if a := sa.Annotations[podiam.AnnotationAudience]; a != "" {
		audience = a
	}
	exp := defaultExpSecs
	if s, err := strconv.ParseInt(sa.Annotations[podiam.AnnotationTokenExpiration], 10, 64); err == nil && s >= 600 {
		exp = s
	}
	env := []corev1.EnvVar{
		{Name: podiam.EnvSTSRegionalEndpoints, Value: "regional"},
		{Name: podiam.EnvDefaultRegion, Value: region},
		{Name: podiam.EnvRegion, Value: region},
		{Name: podiam.EnvRoleARN, Value: roleARN},
		{Name: podiam.EnvTokenFile, Value: podiam.TokenPath},
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for _, e := range env {
			if !hasEnv(c.Env, e.Name) {
				c.Env = append(c.Env, e)
			}
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: podiam.TokenVolume, MountPath: podiam.TokenDir, ReadOnly: true})
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
		Name: podiam.TokenVolume,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: audience, ExpirationSeconds: &exp, Path: "token",
			}}},
		}},
	})
}

// hasEnv reports whether env sets name.
func hasEnv(env []corev1.EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}
