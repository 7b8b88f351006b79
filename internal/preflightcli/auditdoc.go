package preflightcli

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/report"
)

// maxCell bounds a summary-table cell (runes): one 3,000-character
// annotation must not pad the column of every row.
const maxCell = 80

// cell makes a table cell safe (report.SafeText, one line) and short: past
// maxCell runes it is cut and ends with a marker saying how much was left out.
func cell(s string) string {
	s = oneLine(report.SafeText(s))
	if n := utf8.RuneCountInString(s); n > maxCell {
		cut := []rune(s)[:maxCell-12]
		return fmt.Sprintf("%s…(+%d chars)", string(cut), n-len(cut))
	}
	return s
}

// IDAuditList is the check an audit that could not even list the
// ServiceAccounts reports, so CI still gets a document saying why.
const IDAuditList = "audit.list"

// auditErrorDocument is what audit writes when it could not list the
// ServiceAccounts (API server down, no permission): verdict error, one
// report with one error check naming the cause, in every format.
func auditErrorDocument(namespace string, start time.Time, err error) auditDocument {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion, Kind: report.KindPreflight,
		Tool:      report.Tool{Name: "podcred-preflight", Version: version.Version},
		Subject:   report.Subject{Namespace: namespace},
		StartedAt: start.UTC(),
		Checks: []report.Check{{
			ID: IDAuditList, Step: 3, Title: "ServiceAccounts carrying eks.amazonaws.com/role-arn can be listed",
			Status:  report.StatusError,
			Message: "could not list ServiceAccounts, nothing was audited: " + err.Error(),
			Remedy:  "check --kubeconfig/--context, that the API server is reachable, and that you may list serviceaccounts" + scope(namespace),
		}},
	}
	r.Finish(time.Now())
	return auditDocument{
		SchemaVersion: report.SchemaVersion, Kind: KindPreflightAudit,
		Tool:    r.Tool,
		Verdict: report.VerdictError, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Namespace: namespace, Summary: []auditRow{}, Reports: []*report.Report{r}, Error: err.Error(),
	}
}

func scope(namespace string) string {
	if namespace == "" {
		return " in every namespace (kubectl auth can-i list serviceaccounts -A)"
	}
	return strings.Join([]string{" in namespace ", namespace, " (kubectl auth can-i list serviceaccounts -n ", namespace, ")"}, "")
}
