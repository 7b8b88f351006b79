package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// junitDoc is the common JUnit XML schema shape, as CI tools read it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestRenderJUnitHasOneTestcasePerCheck(t *testing.T) {
	r := newReport(map[string]Status{"sts.assume-role": StatusFail, "chain.source": StatusError,
		"isolation.cross-role": StatusSkip, "creds.shared-file": StatusWarn})
	r.Check("sts.assume-role").Remedy = "aws iam update-assume-role-policy --role-name chaos <&>"
	r.Check("sts.assume-role").Evidence = map[string]string{"requestId": "req-1", "errorCode": "AccessDenied"}
	r.Check("chain.source").Message = "bell\x07 and escape\x1b[31m"
	second := passing()
	second.Subject.ServiceAccount = "other"
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatJUnit, false); err != nil {
		t.Fatal(err)
	}
	if err := RenderJUnit(&buf, r, second); err != nil {
		t.Fatal(err)
	}
	docs := strings.SplitAfter(buf.String(), "</testsuites>\n")
	var one, two junitDoc
	if err := xml.Unmarshal([]byte(docs[0]), &one); err != nil {
		t.Fatalf("not XML: %v\n%s", err, docs[0])
	}
	if err := xml.Unmarshal([]byte(docs[1]), &two); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if !strings.HasPrefix(docs[0], xml.Header) {
		t.Error("no XML header")
	}
	if len(one.Suites) != 1 || one.Tests != len(r.Checks) || one.Failures != 1 || one.Errors != 1 || one.Skipped != 1 {
		t.Fatalf("totals %+v", one)
	}
	s := one.Suites[0]
	if s.Name != "AgentReport litmus/litmus-admin" || s.Tests != len(r.Checks) || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 {
		t.Errorf("suite %s: %d tests %d failures %d errors %d skipped", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	if props["verdict"] != "fail" || props["roleArn"] != testRole {
		t.Errorf("properties %v", props)
	}
	for i, c := range s.Cases {
		if c.Name != r.Checks[i].ID || c.Classname != stepHeading(r.Checks[i].Step) {
			t.Errorf("case %d = %s/%s, want %s/%s", i, c.Classname, c.Name, stepHeading(r.Checks[i].Step), r.Checks[i].ID)
		}
		switch c.Name {
		case "sts.assume-role":
			if c.Failure == nil || c.Failure.Type != "fail" || !strings.Contains(c.Failure.Body, "fix: aws iam update-assume-role-policy --role-name chaos <&>") ||
				!strings.Contains(c.Failure.Body, "requestId: req-1") {
				t.Errorf("failure %+v", c.Failure)
			}
		case "chain.source":
			if c.Error == nil || c.Error.Message != "bell[U+0007] and escape[U+001B][31m" {
				t.Errorf("error %+v", c.Error)
			}
		case "isolation.cross-role":
			if c.Skipped == nil {
				t.Error("skip without <skipped>")
			}
		case "creds.shared-file":
			if c.Failure != nil || !strings.HasPrefix(c.SystemOut, "WARN: ") {
				t.Errorf("warning rendered as %+v", c)
			}
		}
	}
	if len(two.Suites) != 2 || two.Suites[1].Name != "AgentReport litmus/other" || two.Tests != 2*len(r.Checks) {
		t.Errorf("two reports: %d suites, %d tests", len(two.Suites), two.Tests)
	}
	if err := RenderJUnit(&buf, nil); err == nil {
		t.Error("RenderJUnit(nil) succeeded")
	}
}
