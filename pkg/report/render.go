package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// errNilReport is returned by renderers and sinks given a nil report.
var errNilReport = errors.New("report is nil")

// stepNames names the IRSA set-up steps a check can belong to (DESIGN.md);
// step 0 gathers the isolation checks, which belong to no set-up step.
var stepNames = map[int]string{
	0: "Isolation",
	1: "IAM OIDC provider",
	2: "IAM role and trust policy",
	3: "ServiceAccount annotation",
	4: "Pod credentials injection",
	5: "No static credentials",
}

// MarshalJSON returns r as indented JSON followed by a newline: the bytes
// RenderJSON writes and the sinks store. HTML characters are not escaped,
// so remedies such as "<role ARN>" read as written.
func MarshalJSON(r *Report) ([]byte, error) {
	if r == nil {
		return nil, errNilReport
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return buf.Bytes(), nil
}

// RenderJSON writes r to w as exactly one indented JSON document and a
// newline.
func RenderJSON(w io.Writer, r *Report) error {
	b, err := MarshalJSON(r)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// ANSI SGR sequences used when colour is on.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiGrey   = "\x1b[90m"
)

// painter colours text when enabled and returns it unchanged otherwise.
type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return code + s + ansiReset
}

// statusColor returns the colour of a status or verdict word.
func statusColor(s string) string {
	switch s {
	case string(StatusPass):
		return ansiGreen
	case string(StatusWarn):
		return ansiYellow
	case string(StatusSkip):
		return ansiGrey
	default: // fail, error and anything unknown
		return ansiRed
	}
}

// RenderText writes r to w as a human-readable table: a verdict headline
// with the subject and identity, then the checks grouped under "Step N —
// <name>" headings in step order, each line a status marker, the check ID
// and its message, with the remedy indented below every check that did not
// pass or skip. ANSI colour is used only when color is true; control
// characters in check text are replaced so that a hostile value cannot
// drive the terminal.
func RenderText(w io.Writer, r *Report, color bool) error {
	if r == nil {
		return errNilReport
	}
	p := painter(color)
	var b strings.Builder
	writeHeadline(&b, r, p)
	idWidth := 0
	for _, c := range r.Checks {
		idWidth = max(idWidth, len(clean(c.ID)))
	}
	for _, step := range stepsOf(r.Checks) {
		fmt.Fprintf(&b, "\n%s\n", p.paint(ansiBold, stepHeading(step)))
		for _, c := range r.Checks {
			if c.Step == step {
				writeCheck(&b, c, idWidth, p)
			}
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// writeHeadline writes the verdict line and the subject and identity block.
func writeHeadline(b *strings.Builder, r *Report, p painter) {
	v := string(r.Verdict)
	tool := strings.TrimSpace(clean(r.Tool.Name + " " + r.Tool.Version))
	if tool == "" {
		tool = "podcred"
	}
	fmt.Fprintf(b, "%s — verdict %s\n", tool, p.paint(ansiBold+statusColor(v), strings.ToUpper(clean(v))))
	s := r.Subject
	subject := clean(s.Namespace + "/" + s.ServiceAccount)
	if s.Pod != "" {
		subject += ", pod " + clean(s.Pod)
	}
	if s.Cluster != "" {
		subject += ", cluster " + clean(s.Cluster)
	}
	field(b, "subject", subject)
	field(b, "role", clean(s.RoleArn))
	if id := r.Identity; id != nil {
		ident := clean(id.Arn)
		if id.Source != "" {
			ident += " (" + clean(id.Source) + ")"
		}
		field(b, "identity", ident)
	}
	if !r.FinishedAt.IsZero() {
		checked := r.FinishedAt.UTC().Format(time.RFC3339)
		if r.ExpiresAt != nil {
			checked += ", expires " + r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		field(b, "checked", checked)
	}
	if ids := r.FailingIDs(); len(ids) > 0 {
		field(b, "failing", clean(strings.Join(ids, ", ")))
	}
}

// field writes one "  name: value" line of the headline block, skipping
// empty values.
func field(b *strings.Builder, name, value string) {
	if strings.TrimSpace(value) == "" || value == "/" {
		return
	}
	fmt.Fprintf(b, "  %-9s %s\n", name+":", value)
}

// writeCheck writes one check line and, unless it passed or was skipped,
// its remedy.
func writeCheck(b *strings.Builder, c Check, idWidth int, p painter) {
	st := string(c.Status)
	marker := p.paint(statusColor(st), fmt.Sprintf("%-5s", strings.ToUpper(clean(st))))
	indent := strings.Repeat(" ", 2+5+2+idWidth+2)
	fmt.Fprintf(b, "  %s  %-*s  %s\n", marker, idWidth, clean(c.ID), indentLines(clean(c.Message), indent))
	if c.Remedy != "" && c.Status != StatusPass && c.Status != StatusSkip {
		fix := indent + "fix: "
		fmt.Fprintf(b, "%s%s\n", fix, indentLines(clean(c.Remedy), strings.Repeat(" ", len(fix))))
	}
}

// stepsOf returns the distinct steps of checks in ascending order.
func stepsOf(checks []Check) []int {
	var steps []int
	for _, c := range checks {
		if !slices.Contains(steps, c.Step) {
			steps = append(steps, c.Step)
		}
	}
	// The five set-up steps in order, then isolation (step 0): a report reads like the set-up guide.
	slices.SortFunc(steps, func(a, b int) int {
		if a == 0 || b == 0 {
			return b - a
		}
		return a - b
	})
	return steps
}

// StepName returns the name of an IRSA set-up step (1-5, as in DESIGN.md),
// "Isolation" for step 0, and "" for any other number.
func StepName(step int) string { return stepNames[step] }

// stepHeading returns "Step N — <name>" for a step, or "Step N" for a step
// without a name.
func stepHeading(step int) string {
	if step == 0 {
		return "Isolation — beyond the five steps"
	}
	if name := StepName(step); name != "" {
		return fmt.Sprintf("Step %d — %s", step, name)
	}
	return fmt.Sprintf("Step %d", step)
}

// indentLines prefixes every line of s after the first with indent and
// drops trailing blank lines.
func indentLines(s, indent string) string {
	s = strings.TrimRight(s, "\n")
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}

// clean makes report text safe to show (SafeText): no terminal escape
// sequence, no bidirectional override.
func clean(s string) string { return SafeText(s) }
