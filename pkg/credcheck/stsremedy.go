package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

// explainSTS turns an AssumeRoleWithWebIdentity failure into a cause and a fix,
// filled in with the names at hand.
func explainSTS(f Facts, e *podiam.CallError) (cause, fix string) {
	role, _ := podiam.ParseRoleARN(f.RoleARN)
	iss, ns, sa := "<issuer>", orPlaceholder(f.Pod.Namespace, "<namespace>"), orPlaceholder(f.Pod.ServiceAccount, "<service-account>")
	if f.Claims != nil {
		iss = f.Claims.Issuer
		if tns, tsa, ok := podiam.ParseSubject(f.Claims.Subject); ok {
			ns, sa = tns, tsa
		}
	}
	msg := strings.ToLower(e.Message)
	switch {
	case e.Code == "AccessDenied" || e.Code == "AccessDeniedException":
		// STS resolves the whole ARN, path included (see the sandbox front's
		// wrongPath for the sources): a wrong path is refused the same way.
		return fmt.Sprintf("the trust policy of %s does not let system:serviceaccount:%s:%s assume it through %s "+
				"(or no role has the ARN %s: STS matches the path %s too; aws iam get-role --role-name %s shows the real ARN)",
				role.Name, ns, sa, podiam.ProviderARN(role, iss), role, role.Path, role.Name),
			fmt.Sprintf("add this statement to the role's trust policy (aws iam update-assume-role-policy --role-name %s): %s",
				role.Name, podiam.TrustStatement(role, iss, ns, sa, f.Audience))
	case e.Code == "InvalidIdentityToken" && strings.Contains(msg, "no openidconnect provider"):
		return fmt.Sprintf("account %s has no IAM OIDC provider for the cluster's issuer %s", role.Account, iss),
			fmt.Sprintf("eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve "+
				"(or: aws iam create-open-id-connect-provider --url %s --client-id-list %s)", iss, f.Audience)
	case e.Code == "InvalidIdentityToken" && strings.Contains(msg, "audience"):
		return fmt.Sprintf("the IAM OIDC provider for %s does not list the token's audience %q among its client IDs", iss, f.Audience),
			fmt.Sprintf("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s",
				podiam.ProviderARN(role, iss), f.Audience)
	case e.Code == "InvalidIdentityToken":
		return "STS could not validate the token against the issuer's keys (signature, key ID or issuer URL)",
			fmt.Sprintf("check the IAM OIDC provider's URL is exactly %s and that its JWKS is reachable; recreate the pod to get a fresh token", iss)
	case e.Code == "ExpiredTokenException" || e.Code == "ExpiredToken":
		return "STS says the token has expired",
			"recreate the pod to get a fresh projected token and check the node's clock (NTP)"
	case e.Code == "IDPRejectedClaim":
		return "the identity provider rejected the token's claims",
			"compare the token's iss/aud/sub with the IAM OIDC provider and the trust policy conditions"
	case e.Code == "IDPCommunicationError":
		return "STS could not reach the cluster's OIDC issuer to fetch its keys (retried)",
			fmt.Sprintf("check that %s/.well-known/openid-configuration is publicly reachable", strings.TrimSuffix(iss, "/"))
	case e.Code == "RegionDisabledException":
		return "STS is not activated in this region for the account",
			"activate STS for the region in IAM > Account settings, or set AWS_REGION to an active region"
	case e.Code == "ValidationError" || e.Code == "InvalidParameterValue":
		return "STS rejected the request parameters", "check AWS_ROLE_ARN and the token file contents"
	case e.Kind == podiam.KindUnavailable:
		return "STS gave no usable answer (network, timeout, throttling, 5xx or a malformed answer; retried with backoff where that can help)",
			"check network egress to STS (AWS_ENDPOINT_URL_STS, AWS_REGION, VPC endpoint, proxy) and retry; nothing was verified"
	}
	return "STS refused the request", "see the AWS error code and request ID in the evidence"
}
