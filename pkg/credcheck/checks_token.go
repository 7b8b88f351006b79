package credcheck

import (
	"fmt"
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

// tokenUnavailable explains why a token check cannot judge anything.
func tokenUnavailable(f Facts) (result, bool) {
	switch {
	case f.TokenFile == "" || f.TokenReadErr != nil:
		return skip("no token to inspect"), true
	case f.Claims == nil:
		return skip("token could not be decoded"), true
	}
	return result{}, false
}

func checkTokenClaims(f Facts) result {
	if f.TokenFile == "" || f.TokenReadErr != nil {
		return skip("no token to inspect")
	}
	if f.ClaimsErr != nil {
		return fail(fmt.Sprintf("token file %s does not hold a ServiceAccount token: %v", f.TokenFile, f.ClaimsErr),
			"AWS_WEB_IDENTITY_TOKEN_FILE must point at the projected token the pod identity webhook mounts; "+
				"do not override it, and recreate the pod")
	}
	c := f.Claims
	r := result{}.With("iss", c.Issuer).With("alg", c.Algorithm)
	if c.Expiry != nil {
		r = r.With("exp", c.Expiry.UTC().Format(time.RFC3339))
	}
	switch {
	case !strings.HasPrefix(c.Issuer, "https://"):
		r.Status, r.Message = report.StatusFail, fmt.Sprintf("token issuer %q is not an https URL; STS only trusts https OIDC issuers", c.Issuer)
		r.Remedy = "the cluster's --service-account-issuer must be its https OIDC issuer URL (EKS: oidc.eks.<region>.amazonaws.com/id/<id>)"
	case c.Expiry == nil:
		r.Status, r.Message = report.StatusFail, "token has no exp claim; STS refuses tokens without expiry"
		r.Remedy = "use the projected ServiceAccount token (with expirationSeconds), not a legacy Secret-based token"
	case !f.Now.Before(c.Expiry.Time):
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("token expired at %s (%s ago)", c.Expiry.UTC().Format(time.RFC3339), f.Now.Sub(c.Expiry.Time).Round(time.Second))
		r.Remedy = "the kubelet refreshes projected tokens; a stale token means it was copied or the node clock is wrong: recreate the pod and check NTP"
	case c.NotBefore != nil && f.Now.Before(c.NotBefore.Time):
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("token is not valid before %s: the node clock is behind the issuer's", c.NotBefore.UTC().Format(time.RFC3339))
		r.Remedy = "fix the node's clock (NTP / chrony) and recreate the pod"
	case c.Expiry.After(f.Now.Add(maxTokenLifetime)):
		r.Status = report.StatusWarn
		r.Message = fmt.Sprintf("token is valid until %s, %s from now: far longer than any projected token lives "+
			"(the kubelet asks for at most 24 h, which the apiserver extends to 1 year at most), so it was minted by hand "+
			"or by a misconfigured issuer, and anyone who copies it can use it until then", c.Expiry.UTC().Format(time.RFC3339), span(f.Now, c.Expiry.Time))
		r.Remedy = "use the projected token the pod identity webhook mounts (expirationSeconds 86400) and check the issuer's --service-account-max-token-expiration"
	case !f.RunDeadline.IsZero() && c.Expiry.Before(f.RunDeadline):
		r.Status = report.StatusWarn
		r.Message = fmt.Sprintf("token expires at %s, before this run's deadline", c.Expiry.UTC().Format(time.RFC3339))
		r.Remedy = "the kubelet refreshes the token at 80% of its lifetime; experiments must re-read the file (the SDKs do)"
	default:
		r.Status = report.StatusPass
		r.Message = fmt.Sprintf("JWT from %s, expires in %s", c.Issuer, c.Expiry.Sub(f.Now).Round(time.Second))
	}
	return r
}

// maxTokenLifetime is the longest a projected token can live: the apiserver
// extends kubelet tokens to 1 year (--service-account-extend-token-expiration),
// plus a day of slack for clock skew.
const maxTokenLifetime = 366 * 24 * time.Hour

// span renders a long span from a to b in years or days ("7973 years",
// "400 days"); time.Duration would overflow past 292 years.
func span(a, b time.Time) string {
	if years := b.Year() - a.Year(); years >= 2 {
		return fmt.Sprintf("%d years", years)
	}
	return fmt.Sprintf("%d days", int64(b.Sub(a)/(24*time.Hour)))
}

func checkTokenAudience(f Facts) result {
	if r, skipped := tokenUnavailable(f); skipped {
		return r
	}
	aud := strings.Join(f.Claims.Audience, ",")
	if !f.Claims.Audience.Contains(f.Audience) {
		return fail(fmt.Sprintf("token audience [%s] does not contain %q", aud, f.Audience),
			fmt.Sprintf("the projected token's audience must be %q: set the ServiceAccount annotation eks.amazonaws.com/audience=%s "+
				"(or remove it for the default) and recreate the pod; the IAM OIDC provider's client IDs must list it too", f.Audience, f.Audience)).
			With("aud", aud)
	}
	return pass(fmt.Sprintf("token audience contains %q", f.Audience)).With("aud", aud)
}

func checkTokenSubject(f Facts) result {
	if r, skipped := tokenUnavailable(f); skipped {
		return r
	}
	c := f.Claims
	ns, sa, ok := podiam.ParseSubject(c.Subject)
	if !ok {
		return fail(fmt.Sprintf("token subject %q is not system:serviceaccount:<namespace>:<name>", c.Subject),
			"the token must be a ServiceAccount token issued by the cluster").With("sub", c.Subject)
	}
	var problems []string
	if f.Pod.Namespace != "" && f.Pod.Namespace != ns {
		problems = append(problems, fmt.Sprintf("token is for namespace %q but the pod runs in %q", ns, f.Pod.Namespace))
	}
	if f.Pod.ServiceAccount != "" && f.Pod.ServiceAccount != sa {
		problems = append(problems, fmt.Sprintf("token is for ServiceAccount %q but the pod runs as %q", sa, f.Pod.ServiceAccount))
	}
	if k := c.Kubernetes; k != nil && k.Pod != nil {
		if f.Pod.Name != "" && k.Pod.Name != f.Pod.Name {
			problems = append(problems, fmt.Sprintf("token is bound to pod %q, not to this pod %q", k.Pod.Name, f.Pod.Name))
		}
		if f.Pod.UID != "" && k.Pod.UID != f.Pod.UID {
			problems = append(problems, fmt.Sprintf("token is bound to pod UID %s, not to this pod's %s", k.Pod.UID, f.Pod.UID))
		}
	} else if f.Pod.Name != "" || f.Pod.UID != "" {
		// This pod is known, and a projected token is always bound to its
		// pod: an unbound one was minted apart (kubectl create token, a
		// TokenRequest without boundObjectRef, a legacy Secret) and outlives the pod.
		problems = append(problems, fmt.Sprintf("token is not bound to any pod (no kubernetes.io pod claim), but this pod is known (%s): "+
			"it was not projected for this pod", podLabel(f.Pod)))
	}
	r := result{}.With("sub", c.Subject)
	if len(problems) > 0 {
		r.Status, r.Message = report.StatusFail, strings.Join(problems, "; ")
		r.Remedy = "the token file was not projected for this pod (copied from another pod, a Secret or kubectl create token): " +
			"remove the custom volume and let the pod identity webhook inject the token"
		return r
	}
	r.Status, r.Message = report.StatusPass, fmt.Sprintf("token subject is ServiceAccount %s/%s", ns, sa)
	if f.Pod.Name != "" || f.Pod.UID != "" {
		r.Message += ", bound to this pod"
	}
	return r
}

// podLabel names the pod by what is known of it.
func podLabel(p PodIdentity) string {
	var parts []string
	if p.Name != "" {
		parts = append(parts, "POD_NAME="+p.Name)
	}
	if p.UID != "" {
		parts = append(parts, "POD_UID="+p.UID)
	}
	return strings.Join(parts, ", ")
}
