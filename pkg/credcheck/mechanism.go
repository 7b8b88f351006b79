package credcheck

import (
	"fmt"
	"net"
	"net/url"

	"github.com/podcred/podcred/pkg/podiam"
)

// mechanismSkip skips a check of a mechanism the pod does not use: IRSA
// checks on a Pod-Identity-only pod, Pod Identity checks on a pod without
// Pod Identity. A pod with neither runs the IRSA checks, whose first failure
// says so.
func mechanismSkip(f Facts, m podiam.Mechanism) (result, bool) {
	has := MechanismsOf(f)
	switch {
	case m == podiam.MechanismIRSA && has.podIdentityOnly():
		return skip(fmt.Sprintf("skipped: this pod gets its role through EKS Pod Identity (%s and %s are set), not IRSA",
			podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile)), true
	case m == podiam.MechanismPodIdentity && !has.PodIdentity && has.IRSA:
		return skip(fmt.Sprintf("skipped: this pod uses IRSA, not EKS Pod Identity (%s and %s are not set)",
			podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile)), true
	case m == podiam.MechanismPodIdentity && !has.PodIdentity:
		return skip(fmt.Sprintf("skipped: neither IRSA nor EKS Pod Identity is injected into this pod (%s is not set)",
			podiam.EnvContainerCredsFullURI)), true
	}
	return result{}, false
}

// podIdentityEndpointProblem says why the SDKs would refuse (or podcred will
// not call) a credentials endpoint URI, or "" when it is usable: https
// anywhere; http only to the Pod Identity agent's address or loopback (the
// sandbox's stand-in). The host is judged as written, never resolved. The
// rule is aws-sdk-go-v2's (config/resolve_credentials.go,
// resolveLocalHTTPCredProvider and isAllowedHost), narrowed to Pod Identity:
// the ECS agent's address is refused here.
func podIdentityEndpointProblem(uri string) string {
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return fmt.Sprintf("%s=%q is not a URL", podiam.EnvContainerCredsFullURI, uri)
	case u.Hostname() == "":
		return fmt.Sprintf("%s=%q has no host", podiam.EnvContainerCredsFullURI, uri)
	case u.Scheme == "https":
		return ""
	case u.Scheme != "http":
		return fmt.Sprintf("%s=%q: the scheme must be http or https", podiam.EnvContainerCredsFullURI, uri)
	}
	host := u.Hostname()
	if host == "localhost" {
		return ""
	}
	ip := net.ParseIP(host)
	if ip != nil && (ip.IsLoopback() || isPodIdentityAgentIP(ip)) {
		return ""
	}
	return fmt.Sprintf("%s=%q: over http the SDKs call only loopback or the EKS Pod Identity agent (%s), and %s is neither",
		podiam.EnvContainerCredsFullURI, uri, podiam.PodIdentityAgentURI, host)
}

// isPodIdentityAgentIP reports whether ip is the Pod Identity agent's
// address (IPv4 or IPv6), as podiam names the agent's URIs.
func isPodIdentityAgentIP(ip net.IP) bool {
	for _, agent := range []string{podiam.PodIdentityAgentURI, podiam.PodIdentityAgentURIv6} {
		if u, err := url.Parse(agent); err == nil && ip.Equal(net.ParseIP(u.Hostname())) {
			return true
		}
	}
	return false
}
