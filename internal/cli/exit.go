package cli

import (
	"errors"
	"fmt"

	"github.com/podcred/podcred/pkg/report"
)

// Exit codes shared by every podcred program (DESIGN.md, "Report and exit codes").
const (
	ExitPass       = 0 // pass, or warn without --strict
	ExitUnverified = 1 // could not verify: fail closed
	ExitUsage      = 2 // bad usage or configuration
	ExitFail       = 3 // a check failed
	ExitWarnStrict = 4 // warn with --strict
)

// ExitCode maps a verdict to the process exit code.
func ExitCode(v report.Verdict, strict bool) int {
	switch v {
	case report.VerdictPass:
		return ExitPass
	case report.VerdictWarn:
		if strict {
			return ExitWarnStrict
		}
		return ExitPass
	case report.VerdictFail:
		return ExitFail
	default:
		return ExitUnverified
	}
}

// ExitError carries an exit code up to main. main resolves it with errors.As;
// any other error exits ExitUnverified.
type ExitError struct {
	Code int
	Err  error
}

// Error returns the wrapped error's message, or "exit N" without one.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError wraps err as a bad-usage error (exit 2).
func UsageError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// CodeOf returns the exit code err stands for: 0 for nil, the ExitError's code
// when there is one, else ExitUnverified.
func CodeOf(err error) int {
	if err == nil {
		return ExitPass
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUnverified
}
