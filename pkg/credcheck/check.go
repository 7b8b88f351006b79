package credcheck

import (
	"github.com/podcred/podcred/internal/checkresult"
	"github.com/podcred/podcred/pkg/report"
)

// The check vocabulary shared with preflight, under short local names.
type result = checkresult.Result

var (
	pass    = checkresult.Pass
	skip    = checkresult.Skip
	warn    = checkresult.Warn
	fail    = checkresult.Fail
	errored = checkresult.Error
)

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
		out = append(out, c.fn(f).Check(specByID[c.id]))
	}
	return out
}
