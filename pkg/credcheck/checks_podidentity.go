package credcheck

import (
	"fmt"
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// associateRemedy is the fix when a pod has no (working) Pod Identity
// association: create one, then recreate the pod so the webhook injects it.
func associateRemedy(f Facts) string {
	ns, sa := orPlaceholder(f.Pod.Namespace, "<namespace>"), orPlaceholder(f.Pod.ServiceAccount, "<service-account>")
	return fmt.Sprintf("aws eks create-pod-identity-association --cluster-name <cluster> --namespace %s --service-account %s "+
		"--role-arn arn:aws:iam::<account>:role/<role>, then recreate the pod: the EKS webhook injects %s and %s only when a pod is created",
		ns, sa, podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile)
}

func checkPodIdentityEnv(f Facts) result {
	p := f.PodIdentity
	var r result
	switch {
	case p.FullURI == "":
		r = fail(fmt.Sprintf("%s is set but %s is not: the SDKs never call the Pod Identity agent",
			podiam.EnvContainerAuthTokenFile, podiam.EnvContainerCredsFullURI), associateRemedy(f))
	case p.TokenFile == "":
		r = fail(fmt.Sprintf("%s is set but %s is not: the Pod Identity agent refuses a request without the token",
			podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile), associateRemedy(f))
	default:
		if problem := podIdentityEndpointProblem(p.FullURI); problem != "" {
			r = fail(problem, fmt.Sprintf("remove the override of %s from the pod spec: the EKS webhook sets %s",
				podiam.EnvContainerCredsFullURI, podiam.PodIdentityAgentURI))
		} else {
			r = pass(fmt.Sprintf("%s=%s and %s=%s are injected", podiam.EnvContainerCredsFullURI, p.FullURI,
				podiam.EnvContainerAuthTokenFile, p.TokenFile))
		}
	}
	return r.With("fullUri", p.FullURI).With("tokenFile", p.TokenFile)
}

func checkPodIdentityToken(f Facts) result {
	p := f.PodIdentity
	switch {
	case p.TokenFile == "":
		return skip("no Pod Identity token file to read")
	case p.TokenPermissionDenied:
		return fail(fmt.Sprintf("Pod Identity token file %s is not readable by this container's user (permission denied)", p.TokenFile),
			"set the pod's securityContext.fsGroup (for example 65534) so the projected token is group-readable by non-root containers").
			With("tokenFile", p.TokenFile)
	case p.TokenReadErr != nil:
		return fail(fmt.Sprintf("Pod Identity token file %s cannot be read: %s", p.TokenFile, p.TokenReadErr),
			fmt.Sprintf("check the projected volume %s is mounted at the path %s names (%s); recreate the pod so the webhook injects both",
				podiam.PodIdentityTokenVolume, podiam.EnvContainerAuthTokenFile, podiam.PodIdentityTokenPath)).With("tokenFile", p.TokenFile)
	case p.ClaimsErr != nil:
		return fail(fmt.Sprintf("Pod Identity token file %s does not hold a ServiceAccount token: %v", p.TokenFile, p.ClaimsErr),
			fmt.Sprintf("%s must point at the projected token the EKS webhook mounts; do not override it, and recreate the pod",
				podiam.EnvContainerAuthTokenFile)).With("tokenFile", p.TokenFile)
	case p.TokenHasNewline:
		return fail(fmt.Sprintf("Pod Identity token file %s holds a line break: the SDKs refuse to send it as the Authorization header", p.TokenFile),
			"use the projected token the EKS webhook mounts, unchanged").With("tokenFile", p.TokenFile)
	}
	c := p.Claims
	r := result{}.With("sub", c.Subject).With("aud", strings.Join(c.Audience, ","))
	if problems := podIdentityClaimProblems(f, c); len(problems) > 0 {
		r.Status, r.Message = report.StatusFail, strings.Join(problems, "; ")
		r.Remedy = fmt.Sprintf("use the token the EKS webhook projects for this pod (volume %s, audience %s); recreate the pod and check the node's clock",
			podiam.PodIdentityTokenVolume, podiam.PodIdentityAudience)
		return r
	}
	r.Status = report.StatusPass
	r.Message = fmt.Sprintf("token for %s, audience %s, expires in %s", c.Subject, podiam.PodIdentityAudience, c.Expiry.Sub(f.Now).Round(time.Second))
	return r.With("exp", c.Expiry.UTC().Format(time.RFC3339))
}

// podIdentityClaimProblems lists what is wrong with the Pod Identity token's claims.
func podIdentityClaimProblems(f Facts, c *Claims) []string {
	var problems []string
	if !c.Audience.Contains(podiam.PodIdentityAudience) {
		problems = append(problems, fmt.Sprintf("token audience [%s] does not contain %q", strings.Join(c.Audience, ","), podiam.PodIdentityAudience))
	}
	switch {
	case c.Expiry == nil:
		problems = append(problems, "token has no exp claim")
	case !f.Now.Before(c.Expiry.Time):
		problems = append(problems, fmt.Sprintf("token expired at %s", c.Expiry.UTC().Format(time.RFC3339)))
	}
	if c.NotBefore != nil && f.Now.Before(c.NotBefore.Time) {
		problems = append(problems, fmt.Sprintf("token is not valid before %s", c.NotBefore.UTC().Format(time.RFC3339)))
	}
	ns, sa, ok := podiam.ParseSubject(c.Subject)
	switch {
	case !ok:
		problems = append(problems, fmt.Sprintf("token subject %q is not system:serviceaccount:<namespace>:<name>", c.Subject))
	case (f.Pod.Namespace != "" && f.Pod.Namespace != ns) || (f.Pod.ServiceAccount != "" && f.Pod.ServiceAccount != sa):
		problems = append(problems, fmt.Sprintf("token is for %s, but the pod runs as %s",
			c.Subject, podiam.Subject(orPlaceholder(f.Pod.Namespace, ns), orPlaceholder(f.Pod.ServiceAccount, sa))))
	}
	if k := c.Kubernetes; k != nil && k.Pod != nil && f.Pod.UID != "" && k.Pod.UID != f.Pod.UID {
		problems = append(problems, fmt.Sprintf("token is bound to pod UID %s, not to this pod's %s", k.Pod.UID, f.Pod.UID))
	}
	return problems
}

func checkPodIdentityCreds(f Facts) result {
	c := f.PodIdentity.Creds
	if c == nil {
		return skip("not attempted: needs a usable credentials endpoint and a readable, decodable Pod Identity token")
	}
	if c.Err != nil {
		cause, fix := explainPodIdentity(f, c.Err)
		r := callFailure(f, c.Err, cause, fix).With("endpoint", c.Endpoint).Took(c.Duration)
		if c.Err.HTTPStatus != 0 {
			r = r.With("httpStatus", fmt.Sprint(c.Err.HTTPStatus))
		}
		return r
	}
	msg := fmt.Sprintf("the Pod Identity agent at %s issued credentials", c.Endpoint)
	if c.AccountID != "" {
		msg += " in account " + c.AccountID
	}
	if !c.Expiration.IsZero() {
		msg += " until " + c.Expiration.UTC().Format(time.RFC3339)
	}
	return pass(msg).With("endpoint", c.Endpoint).With("account", c.AccountID).Took(c.Duration)
}

func checkPodIdentityCaller(f Facts) result {
	p := f.PodIdentity
	if p.Creds == nil || p.Creds.Err != nil || p.Caller == nil {
		return skip("not attempted: no Pod Identity credentials were issued")
	}
	c := p.Caller
	if c.Err != nil {
		return callFailure(f, c.Err, "the Pod Identity credentials were not accepted", "check the STS endpoint and retry").Took(c.Duration)
	}
	r := result{}.With("arn", c.ARN).With("account", c.Account).Took(c.Duration)
	s, ok := parseAssumedRole(c.ARN)
	switch {
	case !ok:
		r.Status, r.Remedy = report.StatusFail, "the credentials endpoint is not the EKS Pod Identity agent: remove the override of "+podiam.EnvContainerCredsFullURI
		r.Message = fmt.Sprintf("the Pod Identity credentials belong to %s, not to an assumed-role session", c.ARN)
	case !strings.HasPrefix(s.session, podiam.PodIdentitySessionPrefix):
		r.Status, r.Remedy = report.StatusFail, "the credentials endpoint is not the EKS Pod Identity agent: remove the override of "+podiam.EnvContainerCredsFullURI
		r.Message = fmt.Sprintf("session %q of role %s does not start with %q: these credentials were not issued by AssumeRoleForPodIdentity",
			s.session, s.role, podiam.PodIdentitySessionPrefix)
	case p.Creds.AccountID != "" && p.Creds.AccountID != c.Account:
		r.Status, r.Remedy = report.StatusFail, "STS answered for another account: check AWS_ENDPOINT_URL_STS points at the real STS"
		r.Message = fmt.Sprintf("the agent said account %s, STS says %s", p.Creds.AccountID, c.Account)
	default:
		r.Status, r.Message = report.StatusPass, fmt.Sprintf("credentials are %s (role %s)", c.ARN, s.roleARN())
		r = r.With("roleArn", s.roleARN())
	}
	return r
}

// assumedRole is a parsed arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
type assumedRole struct{ partition, account, role, session string }

// roleARN is the role's ARN (the assumed-role ARN carries no role path).
func (a assumedRole) roleARN() string {
	return podiam.RoleARN{Partition: a.partition, Account: a.account, Path: "/", Name: a.role}.String()
}

// parseAssumedRole parses an STS assumed-role ARN.
func parseAssumedRole(arn string) (assumedRole, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return assumedRole{}, false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "assumed-role" || res[1] == "" || res[2] == "" {
		return assumedRole{}, false
	}
	return assumedRole{partition: parts[1], account: parts[4], role: res[1], session: res[2]}, true
}
