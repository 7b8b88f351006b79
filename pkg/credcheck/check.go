package credcheck

import (
	"time"

	"github.com/podcred/podcred/pkg/report"
)

// result is what a check function decides; the spec fills in ID, step and title.
type result struct {
	status   report.Status
	message  string
	remedy   string
	evidence map[string]string
	duration time.Duration
}

func pass(msg string) result { return result{status: report.StatusPass, message: msg} }
func skip(msg string) result { return result{status: report.StatusSkip, message: msg} }
func warn(msg, remedy string) result {
	return result{status: report.StatusWarn, message: msg, remedy: remedy}
}
func fail(msg, remedy string) result {
	return result{status: report.StatusFail, message: msg, remedy: remedy}
}
func errored(msg, remedy string) result {
	return result{status: report.StatusError, message: msg, remedy: remedy}
}

func (r result) with(k, v string) result {
	if v == "" {
		return r
	}
	if r.evidence == nil {
		r.evidence = map[string]string{}
	}
	r.evidence[k] = v
	return r
}

func (r result) took(d time.Duration) result { r.duration = d; return r }

// agentChecks maps each check ID to its pure function, in report order.
var agentChecks = []struct {
	id string
	fn func(Facts) result
}{
	{IDEnvRoleArn, checkEnvRoleARN},
	{IDEnvTokenFile, checkEnvTokenFile},
	{IDTokenClaims, checkTokenClaims},
	{IDTokenAudience, checkTokenAudience},
	{IDTokenSubject, checkTokenSubject},
	{IDCredsStaticEnv, checkStaticEnv},
	{IDCredsSharedFile, checkSharedFile},
	{IDSTSAssumeRole, checkAssumeRole},
	{IDSTSCallerIdentity, checkCallerIdentity},
	{IDChainSource, checkChainSource},
	{IDIsolationIMDS, checkIMDS},
	{IDIsolationCross, checkCrossRole},
}

// Evaluate judges the facts with every agent check, in report order.
func Evaluate(f Facts) []report.Check {
	out := make([]report.Check, 0, len(agentChecks))
	for _, c := range agentChecks {
		r := c.fn(f)
		s := specByID[c.id]
		out = append(out, report.Check{
			ID: s.ID, Step: s.Step, Title: s.Title,
			Status: r.status, Message: r.message, Remedy: r.remedy,
			Evidence: r.evidence, DurationMs: r.duration.Milliseconds(),
		})
	}
	return out
}
