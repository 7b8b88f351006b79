package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// statusIcons mark statuses in Markdown, where colour is not available.
var statusIcons = map[string]string{
	string(StatusPass): "✅", string(StatusWarn): "⚠️", string(StatusSkip): "⏭️",
	string(StatusFail): "❌", string(StatusError): "🛑",
}

// RenderMarkdown writes r as GitHub-flavoured Markdown for CI job summaries
// ($GITHUB_STEP_SUMMARY, GitLab, Buildkite annotations): a headline with the
// verdict and subject, then one table of every check in report order (step,
// check, status, message, fix). Table cells are escaped so that no report
// text can break the table or inject HTML.
func RenderMarkdown(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	var b strings.Builder
	writeMarkdown(&b, r, "###")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

// writeMarkdown writes one report under a heading of the given level.
func writeMarkdown(b *strings.Builder, r *Report, heading string) {
	tool := strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
	if tool == "" {
		tool = "podcred"
	}
	v := string(r.Verdict)
	fmt.Fprintf(b, "%s %s %s — verdict **%s**\n\n", heading, statusIcons[v], mdCell(tool), strings.ToUpper(mdCell(v)))
	s := r.Subject
	var facts []string
	if s.Namespace != "" || s.ServiceAccount != "" {
		facts = append(facts, "ServiceAccount `"+mdCode(s.Namespace+"/"+s.ServiceAccount)+"`")
	}
	if s.Cluster != "" {
		facts = append(facts, "cluster `"+mdCode(s.Cluster)+"`")
	}
	if s.RoleArn != "" {
		facts = append(facts, "role `"+mdCode(s.RoleArn)+"`")
	}
	if r.Identity != nil && r.Identity.Arn != "" {
		facts = append(facts, "identity `"+mdCode(r.Identity.Arn)+"`")
	}
	if !r.FinishedAt.IsZero() {
		facts = append(facts, "checked "+r.FinishedAt.UTC().Format(time.RFC3339))
	}
	if len(facts) > 0 {
		b.WriteString(strings.Join(facts, " · ") + "\n\n")
	}
	b.WriteString("| Step | Check | Status | Message | Fix |\n|---|---|---|---|---|\n")
	for _, c := range r.Checks {
		fix := ""
		if c.Status != StatusPass && c.Status != StatusSkip && c.Remedy != "" {
			fix = "`" + mdCode(c.Remedy) + "`"
		}
		fmt.Fprintf(b, "| %s | `%s` | %s %s | %s | %s |\n", mdCell(stepHeading(c.Step)), mdCode(c.ID),
			statusIcons[string(c.Status)], mdCell(string(c.Status)), mdCell(c.Message), fix)
	}
	b.WriteString("\n")
}

// mdCell escapes text for a Markdown table cell: no pipe, newline or HTML.
func mdCell(s string) string {
	s = clean(s)
	s = strings.NewReplacer("\\", "\\\\", "|", "\\|", "<", "&lt;", ">", "&gt;", "\r", "", "\n", "<br>", "`", "'").Replace(s)
	return s
}

// mdCode escapes text inside an inline code span of a table cell: pipes are
// escaped (GFM splits cells before parsing code spans) and backticks and
// newlines are dropped.
func mdCode(s string) string {
	s = clean(s)
	return strings.NewReplacer("|", "\\|", "`", "'", "\r", "", "\n", " ").Replace(s)
}
