package verdict

import (
	"fmt"

	"github.com/podcred/podcred/pkg/report"
)

// Reasons for which the gate refuses, in GateError.Reason.
const (
	GateNotFound     = "not-found"      // no report ConfigMap
	GateAPIError     = "api-error"      // the ConfigMap could not be read
	GateNotManaged   = "not-managed"    // the ConfigMap is not podcred's
	GateUnreadable   = "unreadable"     // report.json missing or not JSON
	GateSchema       = "schema-version" // unknown schemaVersion
	GateKind         = "kind"           // not an AgentReport
	GateSubject      = "subject"        // another namespace or ServiceAccount
	GateRole         = "role"           // another role than GateOptions.RoleArn
	GateInconsistent = "inconsistent"   // labels, data and report disagree
	GateStale        = "stale"          // older than GateOptions.MaxAge
	GateExpired      = "expired"        // past the report's ExpiresAt
	GateFailed       = "failed"         // verdict fail
	GateErrored      = "errored"        // verdict error: could not verify
	GateWarned       = "warned"         // verdict warn and the gate is strict
	GateImmutable    = "immutable"      // the ConfigMap is immutable: podcred never makes it so
	GatePending      = "pending"        // a verification started and has not published
	GateIncomplete   = "incomplete"     // required checks missing, unknown statuses, nothing proven
	GateFuture       = "future"         // timestamps in the future beyond the clock skew
	GateForeignPod   = "foreign-pod"    // the report's pod runs as another ServiceAccount
)

// GateError says why the gate refused. Gate returns it; reach it with
// errors.As.
type GateError struct {
	// Reason is one of the Gate* reason constants.
	Reason string
	// Namespace and ConfigMap name the ConfigMap that was read.
	Namespace string
	ConfigMap string
	// Detail says precisely what was wrong.
	Detail string
	// Report is the parsed report, when reading got that far.
	Report *report.Report
	// Err is the underlying cause (API or JSON error), if any.
	Err error
}

// Error returns "gate: configmap NS/NAME: DETAIL" and the cause, if any.
func (e *GateError) Error() string {
	msg := fmt.Sprintf("gate: configmap %s/%s: %s", e.Namespace, e.ConfigMap, e.Detail)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *GateError) Unwrap() error { return e.Err }

// Verdict says what the refusal stands for: VerdictFail for a fail verdict,
// VerdictWarn for a warn verdict a strict gate refused, and VerdictError for
// everything else — a missing, foreign, unreadable, mismatched, incomplete,
// pending, future-dated, stale or expired report, or an error verdict, proves
// nothing, so the experiment must not start.
func (e *GateError) Verdict() report.Verdict {
	switch e.Reason {
	case GateFailed:
		return report.VerdictFail
	case GateWarned:
		return report.VerdictWarn
	default:
		return report.VerdictError
	}
}

// OptionsError says that GateOptions cannot be used (bad usage); Gate made no
// API call.
type OptionsError struct {
	// Err says what is wrong with the options.
	Err error
}

// Error returns the wrapped error's message.
func (e *OptionsError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *OptionsError) Unwrap() error { return e.Err }
