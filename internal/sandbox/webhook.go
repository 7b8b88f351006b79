package sandbox

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Names of the IRSA contract, as the EKS pod identity webhook writes them.
const (
	RoleARNAnnotation         = "eks.amazonaws.com/role-arn"
	AudienceAnnotation        = "eks.amazonaws.com/audience"
	TokenExpirationAnnotation = "eks.amazonaws.com/token-expiration"
	// TokenDir is where the webhook mounts the projected token; TokenPath is the file.
	TokenDir       = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	TokenPath      = TokenDir + "/token"
	tokenVolume    = "aws-iam-token"
	defaultExpSecs = int64(86400)
)

// injectIRSA mutates pod as the pod identity webhook does for a ServiceAccount
// carrying a role annotation: AWS_* variables in every container, and the
// projected token volume (audience sts.amazonaws.com, 86400 s) mounted read-only.
// It does nothing when the SA has no role annotation.
func injectIRSA(pod *corev1.Pod, sa *corev1.ServiceAccount, region string) {
	roleARN := sa.Annotations[RoleARNAnnotation]
	if roleARN == "" {
		return
	}
	audience := STSAudience
	if a := sa.Annotations[AudienceAnnotation]; a != "" {
		audience = a
	}
	exp := defaultExpSecs
	if s, err := strconv.ParseInt(sa.Annotations[TokenExpirationAnnotation], 10, 64); err == nil && s >= 600 {
		exp = s
	}
	env := []corev1.EnvVar{
		{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"},
		{Name: "AWS_DEFAULT_REGION", Value: region},
		{Name: "AWS_REGION", Value: region},
		{Name: "AWS_ROLE_ARN", Value: roleARN},
		{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: TokenPath},
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for _, e := range env {
			if !hasEnv(c.Env, e.Name) {
				c.Env = append(c.Env, e)
			}
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: tokenVolume, MountPath: TokenDir, ReadOnly: true})
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
		Name: tokenVolume,
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
