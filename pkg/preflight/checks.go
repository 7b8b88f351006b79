package preflight

import "github.com/podcred/podcred/internal/checkresult"

// The check vocabulary shared with the agent's checks, under short local names.
type (
	result = checkresult.Result
	// Spec describes a preflight check: stable ID, set-up step and title.
	Spec = checkresult.Spec
)

var (
	pass    = checkresult.Pass
	skip    = checkresult.Skip
	warn    = checkresult.Warn
	fail    = checkresult.Fail
	errored = checkresult.Error
)

// orPlaceholder returns v, or placeholder when v is empty (for fixes that
// must read well even when a name is unknown).
func orPlaceholder(v, placeholder string) string {
	if v == "" {
		return placeholder
	}
	return v
}
