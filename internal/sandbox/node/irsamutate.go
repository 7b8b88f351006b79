package node

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// More names of the EKS pod identity webhook's contract (aws/amazon-eks-pod-identity-webhook
// pkg/annotations.go: the annotation keys under the eks.amazonaws.com domain).
const (
	// RegionalSTSAnnotation on a ServiceAccount: "false" leaves AWS_STS_REGIONAL_ENDPOINTS unset.
	RegionalSTSAnnotation = "eks.amazonaws.com/sts-regional-endpoints"
	// SkipContainersAnnotation on a Pod: comma-separated container names left unmutated.
	SkipContainersAnnotation = "eks.amazonaws.com/skip-containers"
	// minExpSecs is the webhook's MinTokenExpiration (pkg/constants.go): the apiserver's minimum.
	minExpSecs = int64(600)
)

// irsaPatch is what the pod identity webhook decided for one pod: its
// handler.go buildPodPatchConfig, reduced to the web-identity case.
type irsaPatch struct {
	roleARN     string
	audience    string // SA annotation, default sts.amazonaws.com
	expSecs     int64  // pod annotation > SA annotation > 86400; at least 600
	regionalSTS bool   // SA annotation, default true
	region      string
	skip        map[string]bool
}

// irsaPatchFor returns the webhook's configuration for pod of sa, or false
// when sa carries no role-arn annotation (the pod is left alone).
func irsaPatchFor(pod *corev1.Pod, sa *corev1.ServiceAccount, region string) (irsaPatch, bool) {
	if sa == nil || sa.Annotations[podiam.AnnotationRoleARN] == "" {
		return irsaPatch{}, false
	}
	p := irsaPatch{roleARN: sa.Annotations[podiam.AnnotationRoleARN], audience: podiam.DefaultAudience, expSecs: defaultExpSecs,
		regionalSTS: sa.Annotations[RegionalSTSAnnotation] != "false", region: region, skip: map[string]bool{}}
	if a := sa.Annotations[podiam.AnnotationAudience]; a != "" {
		p.audience = a
	}
	for _, v := range []string{sa.Annotations[podiam.AnnotationTokenExpiration], pod.Annotations[podiam.AnnotationTokenExpiration]} {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			p.expSecs = max(s, minExpSecs)
		}
	}
	for _, name := range strings.Split(pod.Annotations[SkipContainersAnnotation], ",") {
		if name = strings.TrimSpace(name); name != "" {
			p.skip[name] = true
		}
	}
	return p, true
}

// apply mutates spec as the webhook's getPodSpecPatch does: every container
// and init container not skipped gets the AWS_* variables it does not define
// yet and the read-only token mount; the pod gets the projected volume once.
func (p irsaPatch) apply(spec *corev1.PodSpec) {
	for _, cs := range []([]corev1.Container){spec.InitContainers, spec.Containers} {
		for i := range cs {
			if !p.skip[cs[i].Name] {
				p.applyContainer(&cs[i])
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == podiam.TokenVolume {
			return
		}
	}
	exp := p.expSecs
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: podiam.TokenVolume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: p.audience, ExpirationSeconds: &exp, Path: "token"},
		}}},
	}})
}

// applyContainer is the webhook's addEnvToContainer for web identity.
func (p irsaPatch) applyContainer(c *corev1.Container) {
	if !hasEnv(c.Env, podiam.EnvSTSRegionalEndpoints) && p.regionalSTS {
		c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvSTSRegionalEndpoints, Value: "regional"})
	}
	if !hasEnv(c.Env, podiam.EnvRegion) && !hasEnv(c.Env, podiam.EnvDefaultRegion) && p.region != "" {
		c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvDefaultRegion, Value: p.region}, corev1.EnvVar{Name: podiam.EnvRegion, Value: p.region})
	}
	if !hasEnv(c.Env, podiam.EnvRoleARN) && !hasEnv(c.Env, podiam.EnvTokenFile) {
		c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvRoleARN, Value: p.roleARN}, corev1.EnvVar{Name: podiam.EnvTokenFile, Value: podiam.TokenPath})
	}
	for _, m := range c.VolumeMounts {
		if m.Name == podiam.TokenVolume {
			return
		}
	}
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: podiam.TokenVolume, ReadOnly: true, MountPath: podiam.TokenDir})
}

// loopbackPod is the sandbox's own deviation from EKS, applied to every pod the
// node runs: the host network namespace, and the variables that point the
// apiserver's in-cluster address, the AWS endpoints and IMDS at 127.0.0.1.
// Variables a container sets itself win (a scenario may point IMDS elsewhere
// on loopback).
func loopbackPod(spec *corev1.PodSpec, env []corev1.EnvVar) {
	spec.HostNetwork = true
	spec.DNSPolicy = corev1.DNSDefault
	for _, cs := range []([]corev1.Container){spec.InitContainers, spec.Containers} {
		for i := range cs {
			for _, e := range env {
				if !hasEnv(cs[i].Env, e.Name) {
					cs[i].Env = append(cs[i].Env, e)
				}
			}
		}
	}
}
