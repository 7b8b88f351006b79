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

// collectorOf names the collector whose answer each network check judges.
var collectorOf = map[string]string{
	IDSTSAssumeRole:     collectorSTS,
	IDSTSCallerIdentity: collectorSTS,
	IDChainSource:       collectorChain,
	IDIsolationIMDS:     collectorIMDS,
	IDIsolationCross:    collectorCrossRole,
}

// Evaluate judges the facts with every agent check, in report order. A check
// whose collector had not answered by the run's deadline is an error naming
// the reason: nothing was verified, so the run fails closed.
func Evaluate(f Facts) []report.Check {
	out := make([]report.Check, 0, len(agentChecks))
	for _, c := range agentChecks {
		r := c.fn(f)
		if reason, stuck := f.Unfinished[collectorOf[c.id]]; stuck {
			r = errored(reason+"; the report was written without this check",
				"find what blocks (network egress, a stalled endpoint) or raise --timeout; nothing was verified").
				With("collector", collectorOf[c.id])
		}
		out = append(out, r.Check(specByID[c.id]))
	}
	return out
}
