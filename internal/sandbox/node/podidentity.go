package node

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// InjectPodIdentity mutates pod as the pod identity webhook does for an SA
// with an association (aws/amazon-eks-pod-identity-webhook pkg/handler/handler.go:
// buildPodPatchConfig — "Container credentials method takes precedence", so an
// IRSA annotation on the same SA adds nothing — and addEnvToContainer): region
// and regional STS, AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE unless the container sets either, and
// the projected token (audience pods.eks.amazonaws.com) mounted read-only.
func InjectPodIdentity(spec *corev1.PodSpec, fullURI, region string) {
	for _, cs := range []([]corev1.Container){spec.InitContainers, spec.Containers} {
		for i := range cs {
			c := &cs[i]
			if !hasEnv(c.Env, podiam.EnvSTSRegionalEndpoints) {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvSTSRegionalEndpoints, Value: "regional"})
			}
			if !hasEnv(c.Env, podiam.EnvRegion) && !hasEnv(c.Env, podiam.EnvDefaultRegion) && region != "" {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvDefaultRegion, Value: region}, corev1.EnvVar{Name: podiam.EnvRegion, Value: region})
			}
			if !hasEnv(c.Env, podiam.EnvContainerCredsFullURI) && !hasEnv(c.Env, podiam.EnvContainerAuthTokenFile) {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvContainerCredsFullURI, Value: fullURI},
					corev1.EnvVar{Name: podiam.EnvContainerAuthTokenFile, Value: podiam.PodIdentityTokenPath})
			}
			if !hasMount(c.VolumeMounts, podiam.PodIdentityTokenVolume) {
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: podiam.PodIdentityTokenVolume, ReadOnly: true, MountPath: podiam.PodIdentityTokenDir})
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == podiam.PodIdentityTokenVolume {
			return
		}
	}
	exp := defaultExpSecs
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: podiam.PodIdentityTokenVolume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: podiam.PodIdentityAudience, ExpirationSeconds: &exp, Path: "eks-pod-identity-token"},
		}}},
	}})
}

func hasMount(mounts []corev1.VolumeMount, name string) bool {
	for _, m := range mounts {
		if m.Name == name {
			return true
		}
	}
	return false
}

// podIdentityURI is podIdentity, or "" when the webhook has none (tests).
func (w *podWebhook) podIdentityURI(ns, sa string) string {
	if w.podIdentity == nil {
		return ""
	}
	return w.podIdentity(ns, sa)
}
