package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// JUnit XML, in the common shape CI systems read (Jenkins, GitLab, GitHub
// test reporters): <testsuites> of <testsuite>, one per report, of
// <testcase>, one per check, classname the check's set-up step. A failed
// check carries <failure>, an errored one <error>, a skipped one <skipped>;
// a warning passes and says so in <system-out>.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// RenderJUnit writes the reports as one JUnit XML document: a testsuite per
// report (named after its kind and subject), a testcase per check. Text is
// stripped of control characters, which XML 1.0 cannot carry.
func RenderJUnit(w io.Writer, reports ...*Report) error {
	doc := junitSuites{Name: "podcred"}
	var total int64
	for _, r := range reports {
		if r == nil {
			return errNilReport
		}
		s := junitSuiteOf(r)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		total += r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s%s\n", xml.Header, out); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

func junitSuiteOf(r *Report) junitSuite {
	s := junitSuite{
		Name:  xmlText(suiteName(r)),
		Tests: len(r.Checks),
		Time:  seconds(r.FinishedAt.Sub(r.StartedAt).Milliseconds()),
	}
	if !r.StartedAt.IsZero() {
		s.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	prop := func(name, value string) {
		if value != "" {
			s.Properties = append(s.Properties, junitProperty{Name: name, Value: xmlText(value)})
		}
	}
	prop("verdict", string(r.Verdict))
	prop("schemaVersion", r.SchemaVersion)
	prop("tool", strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version))
	prop("cluster", r.Subject.Cluster)
	prop("namespace", r.Subject.Namespace)
	prop("serviceAccount", r.Subject.ServiceAccount)
	prop("roleArn", r.Subject.RoleArn)
	if r.Identity != nil {
		prop("identity", r.Identity.Arn)
	}
	for _, c := range r.Checks {
		tc := junitCase{Name: xmlText(c.ID), Classname: xmlText(stepHeading(c.Step)), Time: seconds(c.DurationMs)}
		body := problemText(c)
		switch c.Status {
		case StatusFail:
			s.Failures++
			tc.Failure = &junitProblem{Message: xmlText(c.Message), Type: string(c.Status), Text: body}
		case StatusError:
			s.Errors++
			tc.Error = &junitProblem{Message: xmlText(c.Message), Type: string(c.Status), Text: body}
		case StatusSkip:
			s.Skipped++
			tc.Skipped = &junitSkipped{Message: xmlText(c.Message)}
		case StatusWarn:
			tc.SystemOut = "WARN: " + body
		default:
			tc.SystemOut = xmlText(c.Message)
		}
		s.Cases = append(s.Cases, tc)
	}
	return s
}

// suiteName names a report's testsuite: "PreflightReport litmus/litmus-admin".
func suiteName(r *Report) string {
	name := r.Kind
	if r.Subject.Namespace != "" || r.Subject.ServiceAccount != "" {
		name += " " + r.Subject.Namespace + "/" + r.Subject.ServiceAccount
	}
	return strings.TrimSpace(name)
}

// problemText is a check's message, remedy and evidence as a failure body.
func problemText(c Check) string {
	var b strings.Builder
	b.WriteString(c.Message)
	if c.Remedy != "" {
		b.WriteString("\nfix: " + c.Remedy)
	}
	keys := make([]string, 0, len(c.Evidence))
	for k := range c.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%s: %s", k, c.Evidence[k])
	}
	return xmlText(b.String())
}

// seconds renders milliseconds as JUnit's decimal seconds.
func seconds(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// xmlText makes s safe to show (SafeText: control and bidirectional
// characters escaped visibly) and drops what XML 1.0 cannot carry.
func xmlText(s string) string {
	s = SafeText(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
