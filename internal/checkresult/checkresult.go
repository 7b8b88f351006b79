// Package checkresult is what podcred's check functions return: a status,
// a message, a remedy and evidence, turned into a report.Check by the check's
// Spec. The agent's and preflight's checks share it.
package checkresult

import (
	"time"

	"github.com/podcred/podcred/pkg/report"
)

// Spec describes a check: its stable ID, the IRSA set-up step it belongs to
// (1-5; 0 for isolation checks outside the five steps) and its title.
type Spec struct {
	ID    string
	Step  int
	Title string
}

// Result is what a check function decides.
type Result struct {
	Status   report.Status
	Message  string
	Remedy   string
	Evidence map[string]string
	Duration time.Duration
}

// Pass, Skip, Warn, Fail and Error build results of each status.
func Pass(msg string) Result { return Result{Status: report.StatusPass, Message: msg} }

// Skip is a check that had nothing to judge.
func Skip(msg string) Result { return Result{Status: report.StatusSkip, Message: msg} }

// Warn is a finding that does not block, with its remedy.
func Warn(msg, remedy string) Result {
	return Result{Status: report.StatusWarn, Message: msg, Remedy: remedy}
}

// Fail is a finding that blocks, with its remedy.
func Fail(msg, remedy string) Result {
	return Result{Status: report.StatusFail, Message: msg, Remedy: remedy}
}

// Error is a check that could not be verified.
func Error(msg, remedy string) Result {
	return Result{Status: report.StatusError, Message: msg, Remedy: remedy}
}

// With adds evidence k=v (ignored when v is empty).
func (r Result) With(k, v string) Result {
	if v == "" {
		return r
	}
	ev := make(map[string]string, len(r.Evidence)+1)
	for ek, evv := range r.Evidence {
		ev[ek] = evv
	}
	ev[k] = v
	r.Evidence = ev
	return r
}

// Took records how long the check's facts took to collect.
func (r Result) Took(d time.Duration) Result { r.Duration = d; return r }

// Check renders the result as the report check s describes.
func (r Result) Check(s Spec) report.Check {
	return report.Check{
		ID: s.ID, Step: s.Step, Title: s.Title,
		Status: r.Status, Message: r.Message, Remedy: r.Remedy,
		Evidence: r.Evidence, DurationMs: r.Duration.Milliseconds(),
	}
}
