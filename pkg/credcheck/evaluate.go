package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/report"
)

// Evaluate judges the facts with every agent check, in report order (the
// registry's). A check of a mechanism the pod does not use skips with a
// message saying which mechanism it has; a check that skips for want of
// input names, from its needs, the checks that did not pass; a check whose
// collector had not answered by the run's deadline is an error naming the
// reason: nothing was verified, so the run fails closed.
func Evaluate(f Facts) []report.Check {
	out := make([]report.Check, 0, len(registry))
	status := make(map[string]report.Status, len(registry))
	for _, e := range registry {
		r := evaluateOne(f, e, status)
		status[e.spec.ID] = r.Status
		out = append(out, r.Check(e.spec))
	}
	return out
}

// evaluateOne judges one registry entry, given the statuses of the checks before it.
func evaluateOne(f Facts, e checkEntry, status map[string]report.Status) result {
	if r, off := mechanismSkip(f, e.mechanism); off {
		return r
	}
	for _, need := range e.needs {
		if reason, stuck := f.Unfinished[need]; stuck {
			return errored(reason+"; the report was written without this check",
				"find what blocks (network egress, a stalled endpoint) or raise --timeout; nothing was verified").
				With("collector", need)
		}
	}
	r := e.fn(f)
	if r.Status == report.StatusSkip {
		if unmet := unmetNeeds(e.needs, status); unmet != "" {
			r.Message = fmt.Sprintf("%s (see %s)", r.Message, unmet)
		}
	}
	return r
}

// unmetNeeds names the needed checks that neither passed nor warned, with
// their status ("env.token-file: fail"); collectors and checks that did not
// run are left out.
func unmetNeeds(needs []string, status map[string]report.Status) string {
	var unmet []string
	for _, id := range needs {
		if st, ok := status[id]; ok && st != report.StatusPass && st != report.StatusWarn {
			unmet = append(unmet, fmt.Sprintf("%s: %s", id, st))
		}
	}
	return strings.Join(unmet, ", ")
}
