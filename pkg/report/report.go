// Package report holds podcred's report model (schema podcred.io/v1), verdict
// aggregation and renderers (text, JSON, JUnit, Markdown, SARIF) and the stream and
// file sinks. It imports nothing from Kubernetes: the Kubernetes sinks and the
// gate are in pkg/verdict; exit codes are the CLI's (internal/cli).
package report

import (
	"time"
)

// SchemaVersion is the version stamped on every report. Readers reject others.
const SchemaVersion = "podcred.io/v1"

// Kinds of report.
const (
	KindAgent     = "AgentReport"
	KindPreflight = "PreflightReport"
)

// Status is the outcome of one check.
type Status string

// Check statuses, from best to worst for aggregation purposes (see Aggregate).
const (
	StatusPass  Status = "pass"
	StatusSkip  Status = "skip"
	StatusWarn  Status = "warn"
	StatusError Status = "error"
	StatusFail  Status = "fail"
)

// Verdict is the outcome of a whole report.
type Verdict string

// Verdicts. A report's verdict is derived from its checks by Aggregate.
const (
	VerdictPass  Verdict = "pass"
	VerdictWarn  Verdict = "warn"
	VerdictFail  Verdict = "fail"
	VerdictError Verdict = "error"
)

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Subject is who was checked: the pod, its ServiceAccount and the role it should get.
type Subject struct {
	Cluster        string `json:"cluster,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
	Pod            string `json:"pod,omitempty"`
	PodUID         string `json:"podUID,omitempty"`
	RoleArn        string `json:"roleArn,omitempty"`
}

// Identity is the AWS identity the checked credentials resolved to. It never
// holds key material: only the account, ARN, user ID and credential source.
type Identity struct {
	Account string `json:"account,omitempty"`
	Arn     string `json:"arn,omitempty"`
	UserID  string `json:"userId,omitempty"`
	Source  string `json:"source,omitempty"`
}

// Check is the result of one check. ID is stable (see DESIGN.md); Step is the
// IRSA set-up step (1-5) the check belongs to, 0 when it belongs to none.
type Check struct {
	ID         string            `json:"id"`
	Step       int               `json:"step"`
	Title      string            `json:"title"`
	Status     Status            `json:"status"`
	Message    string            `json:"message"`
	Remedy     string            `json:"remedy,omitempty"`
	Evidence   map[string]string `json:"evidence,omitempty"`
	DurationMs int64             `json:"durationMs"`
	// Location is where in a file the finding is, for checks judged from
	// files (podcred-preflight lint); nil otherwise.
	Location *Location `json:"location,omitempty"`
}

// Location is a place in a file: the file relative to the repository root
// (slash-separated), its 1-based line and column (0 when unknown), and the
// object the finding is about ("ChaosEngine ec2-chaos", "role chaos-ec2").
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Object string `json:"object,omitempty"`
}

// Report is a complete podcred report, as written to stdout, files and sinks.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	Kind          string    `json:"kind"`
	Tool          Tool      `json:"tool"`
	Subject       Subject   `json:"subject"`
	Identity      *Identity `json:"identity,omitempty"`
	Verdict       Verdict   `json:"verdict"`
	StartedAt     time.Time `json:"startedAt"`
	FinishedAt    time.Time `json:"finishedAt"`
	// ExpiresAt is when the report stops vouching for the pod: the earlier of
	// the token's and the issued credentials' expiry. Zero when unknown.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Checks    []Check    `json:"checks"`
}

// Aggregate derives the verdict from checks: any fail -> fail; else any error
// -> error; else any warn -> warn; else pass (skips count as pass).
func Aggregate(checks []Check) Verdict {
	var hasErr, hasWarn bool
	for _, c := range checks {
		switch c.Status {
		case StatusFail:
			return VerdictFail
		case StatusError:
			hasErr = true
		case StatusWarn:
			hasWarn = true
		}
	}
	switch {
	case hasErr:
		return VerdictError
	case hasWarn:
		return VerdictWarn
	}
	return VerdictPass
}

// Finish stamps the finish time and the aggregated verdict.
func (r *Report) Finish(now time.Time) {
	r.FinishedAt = now.UTC()
	r.Verdict = Aggregate(r.Checks)
}

// Check returns the check with the given ID, or nil.
func (r *Report) Check(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// FailingIDs lists the IDs of checks that failed or errored, in report order.
func (r *Report) FailingIDs() []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Status == StatusFail || c.Status == StatusError {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
