package credcheck

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// checkChainSource judges the SDK default chain of the experiment's SDK, as
// the experiment would load it, against the pod's mechanism: web identity
// for IRSA (and when both are present: the SDKs take it first, a warning),
// the container provider for Pod Identity (which aws-sdk-go v1.38.59 cannot
// use at all). Evidence mechanism is what the pod has (irsa when both),
// experimentMechanism what the SDK's chain resolved to.
func checkChainSource(f Facts) result {
	c := f.Chain
	if c == nil {
		return skip("the SDK default chain was not probed")
	}
	m := MechanismsOf(f)
	r := chainJudgement(f, c, m)
	return r.With("sdk", c.SDK).With("source", c.Source).With("arn", c.ARN).With("stsEndpoint", c.Endpoint).
		With("mechanism", string(m.Judged())).With("experimentMechanism", string(experimentMechanism(c))).Took(c.Duration)
}

// chainJudgement is chain.source's verdict, without the common evidence.
func chainJudgement(f Facts, c *ChainResult, m Mechanisms) result {
	switch {
	case m.podIdentityOnly() && f.ExperimentSDK == SDKGoV1:
		return fail(fmt.Sprintf("%s cannot use EKS Pod Identity (needs ≥ %s): it does not read %s and calls an http %s only on loopback; "+
			"its default chain resolved: %s", c.SDK, podiam.MinV1PodIdentity, podiam.EnvContainerAuthTokenFile,
			podiam.EnvContainerCredsFullURI, v1Resolved(c)),
			fmt.Sprintf("give this ServiceAccount IRSA (annotate it with %s and trust its OIDC provider), or build the experiment with aws-sdk-go ≥ %s or aws-sdk-go-v2",
				podiam.AnnotationRoleARN, podiam.MinV1PodIdentity))
	case c.LoadErr != nil && c.Unavailable:
		return errored("could not load credentials the way an experiment would: "+c.LoadErr.Error(),
			"check network egress to STS (or the Pod Identity agent) and retry; nothing was verified")
	case c.LoadErr != nil:
		return fail("an experiment using "+c.SDK+" would get no credentials: "+c.LoadErr.Error(),
			"fix the failing checks above; the experiment would fail or fall back to another source")
	case m.podIdentityOnly():
		return chainPodIdentity(f, c)
	}
	r := chainWebIdentity(f, c)
	if m.IRSA && m.PodIdentity && r.Status == report.StatusPass {
		r = warn(fmt.Sprintf("%s; this pod also has EKS Pod Identity (%s), which %s never uses while IRSA is injected%s",
			r.Message, podiam.EnvContainerCredsFullURI, c.SDK, podIdentityRoleNote(f, c)),
			"keep one mechanism per ServiceAccount: remove the "+podiam.AnnotationRoleARN+" annotation after migrating to Pod Identity "+
				"(eksctl utils migrate-to-pod-identity), or delete the Pod Identity association; then recreate the pod")
	}
	return r
}

// chainWebIdentity judges a chain that should resolve to web identity for AWS_ROLE_ARN.
func chainWebIdentity(f Facts, c *ChainResult) result {
	chain := "the default chain of " + c.SDK
	role, roleErr := podiam.ParseRoleARN(f.RoleARN)
	switch {
	case !strings.HasPrefix(c.Source, "WebIdentityCredentials"):
		return fail(fmt.Sprintf("%s resolves to %s, not to web identity: the experiment would not run as the IRSA role", chain, sourceLabel(c.Source)),
			chainRemedy(c.Source))
	case c.CallErr != nil:
		return callFailure(f, c.CallErr, "could not confirm who the chain's credentials belong to", "retry; nothing was verified")
	case roleErr == nil && !sameRole(c.ARN, role):
		return fail(fmt.Sprintf("%s uses web identity but as %s, not role %s", chain, c.ARN, role.Name),
			"a shared config profile (AWS_PROFILE / AWS_CONFIG_FILE) sets another role_arn with web_identity_token_file: remove it")
	}
	return pass(fmt.Sprintf("%s resolves to %s as %s", chain, c.Source, c.ARN))
}

// chainPodIdentity judges a chain that should resolve to the container
// provider as the role the Pod Identity agent issued.
func chainPodIdentity(f Facts, c *ChainResult) result {
	chain := "the default chain of " + c.SDK
	switch {
	case !strings.HasPrefix(c.Source, endpointcreds.ProviderName):
		return fail(fmt.Sprintf("%s resolves to %s, not to the container credentials provider: the experiment would not run as the Pod Identity role",
			chain, sourceLabel(c.Source)), chainRemedy(c.Source))
	case c.CallErr != nil:
		return callFailure(f, c.CallErr, "could not confirm who the chain's credentials belong to", "retry; nothing was verified")
	}
	if want := podIdentityRole(f); want != "" {
		if got, ok := parseAssumedRole(c.ARN); !ok || got.roleARN() != want {
			return fail(fmt.Sprintf("%s uses the container provider but as %s, not as the Pod Identity role %s", chain, c.ARN, want),
				"something rewrites "+podiam.EnvContainerCredsFullURI+" for the SDK: remove the override")
		}
	}
	return pass(fmt.Sprintf("%s resolves to %s (EKS Pod Identity) as %s", chain, c.Source, c.ARN))
}

// podIdentityRole is the role ARN the Pod Identity agent's credentials
// belong to, as podidentity.caller-identity found it ("" when unknown).
func podIdentityRole(f Facts) string {
	if id := f.PodIdentity.Caller; id != nil && id.Err == nil {
		if a, ok := parseAssumedRole(id.ARN); ok {
			return a.roleARN()
		}
	}
	return ""
}

// podIdentityRoleNote says whether the unused Pod Identity role is the IRSA role.
func podIdentityRoleNote(f Facts, c *ChainResult) string {
	pi := podIdentityRole(f)
	switch {
	case pi == "":
		return ""
	case sameRoleARN(c.ARN, pi):
		return " (it would give the same role, " + pi + ")"
	}
	return " (it would give another role, " + pi + ": the experiment runs as the IRSA role)"
}

// sameRoleARN reports whether an STS caller ARN is a session of the role ARN.
func sameRoleARN(callerARN, roleARN string) bool {
	a, ok := parseAssumedRole(callerARN)
	return ok && a.roleARN() == roleARN
}

// experimentMechanism is the mechanism the chain's credentials came from.
func experimentMechanism(c *ChainResult) podiam.Mechanism {
	switch {
	case c.LoadErr != nil:
		return podiam.MechanismNone
	case strings.HasPrefix(c.Source, "WebIdentityCredentials"):
		return podiam.MechanismIRSA
	case strings.HasPrefix(c.Source, endpointcreds.ProviderName):
		return podiam.MechanismPodIdentity
	}
	return podiam.MechanismNone
}

// v1Resolved says what aws-sdk-go v1's chain did: its error, or the source
// and identity it found.
func v1Resolved(c *ChainResult) string {
	switch {
	case c.LoadErr != nil:
		return c.LoadErr.Error()
	case c.ARN != "":
		return fmt.Sprintf("%s as %s", sourceLabel(c.Source), c.ARN)
	}
	return sourceLabel(c.Source)
}

func sourceLabel(src string) string {
	if src == "" {
		return "an unnamed provider"
	}
	return src
}

func chainRemedy(src string) string {
	switch {
	case strings.HasPrefix(src, "EnvConfigCredentials"):
		return "remove AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the pod: environment keys win over IRSA and Pod Identity"
	case strings.HasPrefix(src, "SharedConfigCredentials"):
		return "remove the shared credentials file (the Litmus cloud-secret mount) and AWS_SHARED_CREDENTIALS_FILE/AWS_PROFILE from the pod"
	case strings.HasPrefix(src, "EC2RoleProvider"):
		return "the pod fell back to the node's instance role: annotate the ServiceAccount, recreate the pod, and block IMDS for pods (hop limit 1)"
	}
	return "make sure AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are injected and no other credential source is configured"
}
