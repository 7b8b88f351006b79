package credcheck

import (
	"fmt"
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

// callFailure turns a CallError into a fail (refusal) or error (no answer) result.
func callFailure(f Facts, e *podiam.CallError, cause, fix string) result {
	r := fail(fmt.Sprintf("%s: %s (%s: %s)", e.Operation, cause, e.Code, e.Message), fix)
	if !e.Refused() {
		r.Status = report.StatusError
	}
	return r.With("errorCode", e.Code).With("requestId", e.RequestID)
}

func checkAssumeRole(f Facts) result {
	if f.ConfigErr != nil {
		return fail("not attempted: the AWS SDK configuration cannot be loaded: "+f.ConfigErr.Error(),
			"fix the SDK settings in the pod's environment (AWS_REGION, AWS_CA_BUNDLE, AWS_ENDPOINT_URL*); an experiment's SDK fails the same way")
	}
	if f.Assume == nil {
		return skip("not attempted: needs a valid AWS_ROLE_ARN and a decodable token (see the checks above)")
	}
	a := f.Assume
	if a.Err != nil {
		cause, fix := explainSTS(f, a.Err)
		return callFailure(f, a.Err, cause, fix).With("roleArn", f.RoleARN).Took(a.Duration)
	}
	return pass(fmt.Sprintf("STS issued credentials for %s until %s", a.AssumedRoleARN, a.Expiration.UTC().Format(time.RFC3339))).
		With("assumedRoleArn", a.AssumedRoleARN).With("requestId", a.RequestID).With("sessionName", a.SessionName).Took(a.Duration)
}

// assumedRoleARN is the ARN GetCallerIdentity returns for a session of role.
func assumedRoleARN(role podiam.RoleARN, session string) string {
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", role.Partition, role.Account, role.Name, session)
}

// sameRole reports whether an STS caller ARN is a session of role (any session name).
func sameRole(callerARN string, role podiam.RoleARN) bool {
	return strings.HasPrefix(callerARN, strings.TrimSuffix(assumedRoleARN(role, ""), "/")+"/")
}

func checkCallerIdentity(f Facts) result {
	if f.Caller == nil || f.Assume == nil {
		return skip("not attempted: no credentials were issued (see sts.assume-role)")
	}
	c := f.Caller
	if c.Err != nil {
		return callFailure(f, c.Err, "the issued credentials were not accepted", "check the STS endpoint and retry").Took(c.Duration)
	}
	role, _ := podiam.ParseRoleARN(f.RoleARN)
	want := assumedRoleARN(role, f.Assume.SessionName)
	r := result{}.With("arn", c.ARN).With("account", c.Account).Took(c.Duration)
	if c.ARN != want || c.Account != role.Account {
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("the issued credentials belong to %s (account %s), not to %s", c.ARN, c.Account, want)
		r.Remedy = "STS answered for another principal: check AWS_ENDPOINT_URL_STS points at the real STS and nothing rewrites requests"
		return r
	}
	r.Status, r.Message = report.StatusPass, "credentials are "+c.ARN
	return r
}

func checkChainSource(f Facts) result {
	c := f.Chain
	if c == nil {
		return skip("the SDK default chain was not probed")
	}
	chain := "the default chain of " + c.SDK
	r := result{}.With("sdk", c.SDK).With("source", c.Source).With("arn", c.ARN).With("stsEndpoint", c.Endpoint).Took(c.Duration)
	role, roleErr := podiam.ParseRoleARN(f.RoleARN)
	switch {
	case c.LoadErr != nil && c.Unavailable:
		r.Status, r.Message = report.StatusError, "could not load credentials the way an experiment would: "+c.LoadErr.Error()
		r.Remedy = "check network egress to STS and retry; nothing was verified"
	case c.LoadErr != nil:
		r.Status, r.Message = report.StatusFail, "an experiment using "+c.SDK+" would get no credentials: "+c.LoadErr.Error()
		r.Remedy = "fix the failing checks above; the experiment would fail or fall back to another source"
	case !strings.HasPrefix(c.Source, "WebIdentityCredentials"):
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("%s resolves to %s, not to web identity: the experiment would not run as the IRSA role", chain, sourceLabel(c.Source))
		r.Remedy = chainRemedy(c.Source)
	case c.CallErr != nil:
		r = callFailure(f, c.CallErr, "could not confirm who the chain's credentials belong to", "retry; nothing was verified").
			With("sdk", c.SDK).With("source", c.Source)
	case roleErr == nil && !sameRole(c.ARN, role):
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("%s uses web identity but as %s, not role %s", chain, c.ARN, role.Name)
		r.Remedy = "a shared config profile (AWS_PROFILE / AWS_CONFIG_FILE) sets another role_arn with web_identity_token_file: remove it"
	default:
		r.Status, r.Message = report.StatusPass, fmt.Sprintf("%s resolves to %s as %s", chain, c.Source, c.ARN)
	}
	return r
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
		return "remove AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the pod: environment keys win over IRSA"
	case strings.HasPrefix(src, "SharedConfigCredentials"):
		return "remove the shared credentials file (the Litmus cloud-secret mount) and AWS_SHARED_CREDENTIALS_FILE/AWS_PROFILE from the pod"
	case strings.HasPrefix(src, "EC2RoleProvider"):
		return "the pod fell back to the node's instance role: annotate the ServiceAccount, recreate the pod, and block IMDS for pods (hop limit 1)"
	}
	return "make sure AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are injected and no other credential source is configured"
}
