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
		return skip("not attempted: needs a valid AWS_ROLE_ARN and a decodable token")
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
		return skip("not attempted: no credentials were issued")
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
