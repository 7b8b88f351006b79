package sandbox

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
)

// irsaEnv are the variables the pod identity webhook injects for IRSA, and
// podIdentityEnv those it injects for EKS Pod Identity; a scenario pod leaves
// them to the node's webhook instead of copying them from its stand-in
// (unless the stand-in's manifest itself carries IRSA: world.Pod.IRSAInManifest).
var (
	irsaEnv = map[string]bool{podiam.EnvRoleARN: true, podiam.EnvTokenFile: true, podiam.EnvRegion: true,
		podiam.EnvDefaultRegion: true, podiam.EnvSTSRegionalEndpoints: true}
	podIdentityEnv = map[string]bool{podiam.EnvContainerCredsFullURI: true, podiam.EnvContainerAuthTokenFile: true,
		podiam.EnvRegion: true, podiam.EnvDefaultRegion: true, podiam.EnvSTSRegionalEndpoints: true}
)

// irsaInManifest reports whether the world's pod ns/name carries IRSA in its own manifest.
func (s *Sandbox) irsaInManifest(ns, name string) bool {
	for _, n := range s.World().Namespaces {
		for _, p := range n.Pods {
			if n.Name == ns && p.Name == name {
				return p.IRSAInManifest
			}
		}
	}
	return false
}

// CanRunInPod reports whether a scenario can run as a real pod on the node,
// and why not. An expired projected token cannot be had from a kubelet (the
// TokenRequest minimum is 10 minutes): that scenario stays a local process.
func (s *Sandbox) CanRunInPod(sc world.Scenario) (bool, string) {
	if s.node == nil {
		return false, "no node"
	}
	if sc.Token == "expired" {
		return false, "a kubelet never projects an expired token"
	}
	if sc.Pod == "" {
		return false, "no pod to copy (give the scenario a pod of the world)"
	}
	return true, ""
}

// scenarioPod is the scenario's stand-in pod (bound to NodeName at load)
// rebuilt for the node: its ServiceAccount, pod securityContext, volumes and
// variables, minus what the webhook injects and the API token volume the
// ServiceAccount admission adds; the agent image with deploy/job.yaml's
// container securityContext and downward-API variables; the scenario's Env and
// IMDS as container variables (they win over the webhook's loopback defaults).
func (s *Sandbox) scenarioPod(stand *corev1.Pod, sc world.Scenario) *corev1.Pod {
	manifestIRSA := s.irsaInManifest(stand.Namespace, stand.Name)
	injected := func(env string) bool { return (irsaEnv[env] && !manifestIRSA) || podIdentityEnv[env] }
	var vols []corev1.Volume
	keep := map[string]bool{}
	for _, v := range stand.Spec.Volumes {
		webhooks := (v.Name == podiam.TokenVolume && !manifestIRSA) || v.Name == podiam.PodIdentityTokenVolume
		if !webhooks && !strings.HasPrefix(v.Name, "kube-api-access-") {
			vols, keep[v.Name] = append(vols, v), true
		}
	}
	c := stand.Spec.Containers[0]
	var mounts []corev1.VolumeMount
	for _, m := range c.VolumeMounts {
		if keep[m.Name] {
			mounts = append(mounts, m)
		}
	}
	var env []corev1.EnvVar
	for _, e := range c.Env {
		if !injected(e.Name) {
			env = append(env, e)
		}
	}
	for _, f := range []struct{ name, path string }{{"POD_NAME", "metadata.name"}, {"POD_NAMESPACE", "metadata.namespace"},
		{"POD_UID", "metadata.uid"}, {"POD_SERVICE_ACCOUNT", "spec.serviceAccountName"}} {
		env = append(env, corev1.EnvVar{Name: f.name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: f.path}}})
	}
	for name, value := range sc.Env {
		env = append(env, corev1.EnvVar{Name: name, Value: value})
	}
	if sc.IMDS == world.IMDSNodeRole && s.imds != nil {
		env = append(env, corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: s.imds.URL})
	} else if sc.IMDS == world.IMDSBlocked {
		env = append(env, corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: s.blockedIMDS})
	}
	no, yes := false, true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: scenarioPodName(sc.Name), Namespace: stand.Namespace,
			Labels: map[string]string{"app.kubernetes.io/name": "podcred-agent", "app.kubernetes.io/part-of": "podcred", controlplane.ManagedByLabel: controlplane.ManagedByValue}},
		Spec: corev1.PodSpec{
			ServiceAccountName:           stand.Spec.ServiceAccountName,
			AutomountServiceAccountToken: &yes,
			RestartPolicy:                corev1.RestartPolicyNever,
			EnableServiceLinks:           &no,
			SecurityContext:              stand.Spec.SecurityContext,
			Volumes:                      vols,
			Containers: []corev1.Container{{
				Name:                     "podcred-agent",
				Image:                    node.AgentImageRef,
				Args:                     append(append([]string{"--format", "json", "--sink", "stdout,configmap,annotation,event"}, sdkArgs(sc)...), sc.Args...),
				Env:                      env,
				VolumeMounts:             mounts,
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

var podNameUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// scenarioPodName is podcred-scenario-<name>, DNS-safe.
func scenarioPodName(name string) string {
	n := "podcred-scenario-" + strings.Trim(podNameUnsafe.ReplaceAllString(strings.ToLower(name), "-"), "-")
	return strings.TrimRight(n[:min(len(n), 63)], "-")
}

// createScenarioPod creates p; for a stand-in that predates its
// ServiceAccount's role annotation, it does so while the annotation is
// lifted, then puts it back: the pod keeps the spec it was admitted with.
func (s *Sandbox) createScenarioPod(ctx context.Context, p *corev1.Pod, beforeAnnotation bool) error {
	c := s.cp.Client
	zero := int64(0)
	if err := c.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	create := func() error {
		_, err := c.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		return err
	}
	if !beforeAnnotation {
		_, err := createWhenNameFree(ctx, create)
		return err
	}
	sas := c.CoreV1().ServiceAccounts(p.Namespace)
	sa, err := sas.Get(ctx, p.Spec.ServiceAccountName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	role := sa.Annotations[podiam.AnnotationRoleARN]
	delete(sa.Annotations, podiam.AnnotationRoleARN)
	if sa, err = sas.Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		return err
	}
	_, cerr := createWhenNameFree(ctx, create)
	if sa.Annotations == nil {
		sa.Annotations = map[string]string{}
	}
	sa.Annotations[podiam.AnnotationRoleARN] = role
	_, err = sas.Update(ctx, sa, metav1.UpdateOptions{})
	if cerr != nil {
		return cerr
	}
	return err
}

// waitPodEnded polls the pod until it has Succeeded or Failed.
func (s *Sandbox) waitPodEnded(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		p, err := s.cp.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) {
			return p, nil
		}
		if werr := proc.Sleep(ctx, 100*time.Millisecond); werr != nil {
			return nil, fmt.Errorf("pod %s/%s did not end: %w (%v)", ns, name, werr, err)
		}
	}
}
