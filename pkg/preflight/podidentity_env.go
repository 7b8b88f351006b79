package preflight

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// containerPodIdentity reads the Pod Identity env the EKS webhook injects
// (aws/amazon-eks-pod-identity-webhook, pkg/handler: the container
// credentials full URI, the token file and the token volume mount).
func containerPodIdentity(c corev1.Container) ContainerPodIdentity {
	var pi ContainerPodIdentity
	for _, e := range c.Env {
		switch e.Name {
		case podiam.EnvContainerCredsFullURI:
			pi.FullURI = e.Value
		case podiam.EnvContainerAuthTokenFile:
			pi.TokenFile = e.Value
		}
	}
	dir := podiam.PodIdentityTokenDir
	if pi.TokenFile != "" {
		dir = pi.TokenFile[:max(strings.LastIndex(pi.TokenFile, "/"), 0)]
	}
	for _, m := range c.VolumeMounts {
		if strings.TrimSuffix(m.MountPath, "/") == dir {
			pi.TokenMounted = true
		}
	}
	return pi
}

// agentURIAccepted reports whether a full URI is one the SDKs send the token
// to for Pod Identity: the agent's link-local addresses, a loopback http
// host (the sandbox's stand-in) or https.
func agentURIAccepted(raw string) bool {
	if raw == podiam.PodIdentityAgentURI || raw == podiam.PodIdentityAgentURIv6 {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()))
}

// podIdentityInjectionProblem says what the webhook failed to inject into a
// pod of a Pod Identity ServiceAccount, or "".
func podIdentityInjectionProblem(p PodFact, assoc *AssociationFact) string {
	older := ""
	if assoc != nil && !assoc.CreatedAt.IsZero() && p.CreatedAt.Before(assoc.CreatedAt) {
		older = fmt.Sprintf(" (created %s, before the association at %s)", p.CreatedAt.UTC().Format(time.RFC3339), assoc.CreatedAt.UTC().Format(time.RFC3339))
	}
	for _, c := range p.Containers {
		pi := c.PodIdentity
		switch {
		case pi.FullURI == "" || pi.TokenFile == "":
			return fmt.Sprintf("has no %s/%s in container %s%s", podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile, c.Name,
				orDefault(older, ": created before the association, or the webhook skipped it"))
		case !pi.TokenMounted:
			return fmt.Sprintf("container %s does not mount the %s volume at %s", c.Name, podiam.PodIdentityTokenVolume, podiam.PodIdentityTokenDir)
		case !agentURIAccepted(pi.FullURI):
			return fmt.Sprintf("container %s has %s=%s, not the Pod Identity agent (%s)", c.Name, podiam.EnvContainerCredsFullURI, pi.FullURI, podiam.PodIdentityAgentURI)
		}
	}
	return ""
}

// checkPodsPodIdentityEnv is pods.env-injected for a Pod-Identity-only
// ServiceAccount: running pods carry the container-credentials env and the
// Pod Identity token volume.
func checkPodsPodIdentityEnv(f Facts, assoc *AssociationFact) result {
	switch {
	case f.Pods == nil:
		return skip("pods were not read")
	case f.Pods.Err != nil:
		return errored(fmt.Sprintf("could not list pods in %s: %v", f.Namespace, f.Pods.Err), "check that you may list pods in "+f.Namespace)
	}
	pods := f.activePods()
	if len(pods) == 0 {
		return skip(fmt.Sprintf("no running pod of serviceaccount %s/%s", f.Namespace, f.ServiceAccount))
	}
	var stale []PodFact
	var why []string
	for _, p := range pods {
		if reason := podIdentityInjectionProblem(p, assoc); reason != "" {
			stale = append(stale, p)
			why = append(why, "pod "+p.Name+" "+reason)
		}
	}
	mech := string(podiam.MechanismPodIdentity)
	if len(stale) == 0 {
		return pass(fmt.Sprintf("%d running pods carry %s and the Pod Identity token (EKS Pod Identity)", len(pods), podiam.EnvContainerCredsFullURI)).
			With("mechanism", mech)
	}
	return fail(strings.Join(why, "; "), f.restartCommand(stale)).With("stalePods", fmt.Sprint(len(stale))).With("mechanism", mech)
}
