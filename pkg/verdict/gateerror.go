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

// GateError says why the gate refused. Gate returns it inside an
// *ExitError; reach it with errors.As.
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

// ExitCode maps the reason to an exit code: ExitFail for a fail verdict,
// ExitWarnStrict for a warn verdict a strict gate refused, and ExitUnverified for everything else — a missing,
// foreign, unreadable, mismatched, incomplete, pending, future-dated, stale or
// expired report, or an error verdict, proves nothing, so the experiment must not start.
func (e *GateError) ExitCode() int {
	switch e.Reason {
	case GateFailed:
		return report.ExitFail
	case GateWarned:
		return report.ExitWarnStrict
	default:
		return report.ExitUnverified
	}
}
