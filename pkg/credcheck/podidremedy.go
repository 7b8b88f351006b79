package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

// podIdentityTrust is the trust-policy statement a Pod Identity role needs:
// the service principal, for both actions (AWS EKS user guide, "Create the
// IAM role for Pod Identity"; without sts:TagSession the agent's
// AssumeRoleForPodIdentity fails).
func podIdentityTrust() string {
	return fmt.Sprintf(`{"Effect":"Allow","Principal":{"Service":%q},"Action":[%q,%q]}`,
		podiam.PodIdentityService, podiam.ActionAssumeRole, podiam.ActionTagSession)
}

// explainPodIdentity turns the credentials endpoint's refusal or silence
// into a cause and a fix, filled in with the names at hand.
func explainPodIdentity(f Facts, e *podiam.CallError) (cause, fix string) {
	ns, sa := orPlaceholder(f.Pod.Namespace, "<namespace>"), orPlaceholder(f.Pod.ServiceAccount, "<service-account>")
	find := fmt.Sprintf("aws eks list-pod-identity-associations --cluster-name <cluster> --namespace %s --service-account %s", ns, sa)
	switch {
	case e.Code == podiam.CodeAccessDeniedException:
		return fmt.Sprintf("EKS Auth refused AssumeRoleForPodIdentity for %s: the associated role's trust policy must let %s call %s and %s, "+
				"with conditions that admit this cluster, namespace and ServiceAccount",
				podiam.Subject(ns, sa), podiam.PodIdentityService, podiam.ActionAssumeRole, podiam.ActionTagSession),
			fmt.Sprintf("find the role (%s), then put this statement in its trust policy (aws iam update-assume-role-policy --role-name <role>): %s",
				find, podIdentityTrust())
	case e.Code == podiam.CodeResourceNotFoundException:
		return fmt.Sprintf("no Pod Identity association names %s", podiam.Subject(ns, sa)), associateRemedy(f)
	case e.Code == podiam.CodeExpiredTokenException:
		return "EKS Auth says the Pod Identity token has expired",
			"recreate the pod to get a fresh projected token and check the node's clock (NTP)"
	case e.Code == podiam.CodeInvalidTokenException:
		return "EKS Auth did not accept the Pod Identity token (signature, issuer or audience)",
			fmt.Sprintf("use the token the EKS webhook projects (audience %s) at %s; recreate the pod", podiam.PodIdentityAudience, podiam.PodIdentityTokenPath)
	case e.Kind == podiam.KindUnavailable:
		return "the Pod Identity agent gave no usable answer (network, timeout, throttling, 5xx or a malformed answer; retried with backoff where that can help)",
			"check the eks-pod-identity-agent DaemonSet runs on this node (kubectl -n kube-system get daemonset eks-pod-identity-agent) " +
				"and that the pod reaches " + f.PodIdentity.FullURI + "; nothing was verified"
	case strings.Contains(strings.ToLower(e.Message), "token"):
		return "the Pod Identity agent refused the request's token",
			fmt.Sprintf("use the token the EKS webhook projects at %s, unchanged; recreate the pod", podiam.PodIdentityTokenPath)
	}
	return "the Pod Identity agent refused the request",
		fmt.Sprintf("see the error code and HTTP status in the evidence; check the association (%s)", find)
}
