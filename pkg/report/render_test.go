package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRenderJSONRoundTrips(t *testing.T) {
	for _, v := range []Verdict{VerdictPass, VerdictWarn, VerdictFail, VerdictError} {
		t.Run("a "+string(v)+" report decodes back to itself", func(t *testing.T) {
			r := withVerdict(v)
			r.Checks[0].Evidence = map[string]string{"roleArn": testRole, "html": "<role ARN> & more"}
			var buf bytes.Buffer
			if err := RenderJSON(&buf, r); err != nil {
				t.Fatalf("RenderJSON: %v", err)
			}
			out := buf.Bytes()
			if !bytes.HasSuffix(out, []byte("}\n")) || bytes.Count(out, []byte("\n}\n")) != 1 {
				t.Errorf("want exactly one document ending in a newline, got:\n%s", out)
			}
			if !bytes.Contains(out, []byte("\n  \"schemaVersion\"")) {
				t.Errorf("want indented JSON, got:\n%s", out)
			}
			if !bytes.Contains(out, []byte("<role ARN> & more")) {
				t.Errorf("want HTML characters unescaped, got:\n%s", out)
			}
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			var got Report
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if dec.More() {
				t.Errorf("more than one JSON document")
			}
			if !reflect.DeepEqual(&got, r) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", got, *r)
			}
		})
	}
}

func TestRenderersRejectANilReport(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderJSON(&buf, nil); err == nil {
		t.Error("RenderJSON(nil) succeeded, want an error")
	}
	if err := RenderText(&buf, nil, false); err == nil {
		t.Error("RenderText(nil) succeeded, want an error")
	}
}

func TestRenderText(t *testing.T) {
	r := newReport(map[string]Status{"sts.assume-role": StatusFail, "creds.shared-file": StatusWarn, "isolation.cross-role": StatusSkip})
	r.Check("sts.assume-role").Remedy = "aws iam update-assume-role-policy \\\n  --role-name chaos-pod-delete"
	var buf bytes.Buffer
	if err := RenderText(&buf, r, false); err != nil {
		t.Fatalf("RenderText: %v", err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")

	t.Run("the headline gives the verdict, subject, role and identity", func(t *testing.T) {
		for _, want := range []string{"podcred-agent v0.1.0 — verdict FAIL", testNS + "/" + testSA, "pod " + testPod,
			testRole, r.Identity.Arn, "2026-11-26T10:00:00Z", "failing:  sts.assume-role"} {
			if !strings.Contains(lines[0]+strings.Join(lines[1:8], "\n"), want) {
				t.Errorf("headline lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("every check id is listed under its own step heading, steps in order", func(t *testing.T) {
		headings := map[string]int{}
		var order []string
		current := ""
		for _, l := range lines {
			if strings.HasPrefix(l, "Step ") || strings.HasPrefix(l, "Isolation") {
				current = l
				order = append(order, l)
				continue
			}
			for _, c := range r.Checks {
				if strings.Contains(l, " "+c.ID+" ") {
					if want := stepHeading(c.Step); current != want {
						t.Errorf("check %s listed under %q, want %q", c.ID, current, want)
					}
					headings[c.ID]++
				}
			}
		}
		for _, c := range r.Checks {
			if headings[c.ID] != 1 {
				t.Errorf("check %s listed %d times, want once", c.ID, headings[c.ID])
			}
		}
		want := []string{"Step 1 — IAM OIDC provider", "Step 2 — IAM role and trust policy",
			"Step 3 — ServiceAccount annotation", "Step 4 — Pod credentials injection", "Step 5 — No static credentials",
			"Isolation — beyond the five steps"}
		if !reflect.DeepEqual(order, want) {
			t.Errorf("headings = %q, want %q", order, want)
		}
	})
	t.Run("remedies appear indented below checks that did not pass", func(t *testing.T) {
		if !strings.Contains(out, "fix: aws iam update-assume-role-policy \\\n") {
			t.Errorf("failing remedy missing:\n%s", out)
		}
		if !strings.Contains(out, "fix creds.shared-file") {
			t.Errorf("warning remedy missing:\n%s", out)
		}
		if strings.Contains(out, "fix isolation.cross-role") {
			t.Errorf("skipped check shows a remedy:\n%s", out)
		}
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "--role-name") && !strings.HasPrefix(l, "        ") {
				t.Errorf("line %d of a multi-line remedy is not indented: %q", i, l)
			}
		}
	})
	t.Run("no ANSI escapes when color is off", func(t *testing.T) {
		if strings.Contains(out, "\x1b") {
			t.Errorf("output has escapes:\n%q", out)
		}
	})
	t.Run("ANSI colour when color is on, same text otherwise", func(t *testing.T) {
		var c bytes.Buffer
		if err := RenderText(&c, r, true); err != nil {
			t.Fatalf("RenderText: %v", err)
		}
		if !strings.Contains(c.String(), ansiRed+"FAIL") {
			t.Errorf("want a red FAIL marker:\n%q", c.String())
		}
		stripped := c.String()
		for _, code := range []string{ansiReset, ansiBold, ansiRed, ansiGreen, ansiYellow, ansiGrey} {
			stripped = strings.ReplaceAll(stripped, code, "")
		}
		if stripped != out {
			t.Errorf("coloured text differs from plain text once stripped:\n%s\n---\n%s", stripped, out)
		}
	})
}

func TestRenderTextNeutralisesControlCharacters(t *testing.T) {
	r := passing()
	r.Checks[0].Message = "sub \x1b]0;owned\x07 claim\r"
	var buf bytes.Buffer
	if err := RenderText(&buf, r, false); err != nil {
		t.Fatalf("RenderText: %v", err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07\r") {
		t.Errorf("control characters reached the output: %q", buf.String())
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name, in string
		want     Format
		wantErr  bool
	}{
		{"text is text", "text", FormatText, false},
		{"json is json", "json", FormatJSON, false},
		{"case and spaces do not matter", " JSON ", FormatJSON, false},
		{"an unknown format is an error", "yaml", "", true},
		{"an empty format is an error", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "valid values are text, json") {
				t.Errorf("error %q does not name the valid values", err)
			}
		})
	}
}

func TestRenderDispatchesOnFormat(t *testing.T) {
	r := passing()
	var j, txt bytes.Buffer
	if err := Render(&j, r, FormatJSON, false); err != nil || !json.Valid(j.Bytes()) {
		t.Errorf("Render json: err %v, valid %v", err, json.Valid(j.Bytes()))
	}
	if err := (StreamSink{W: &txt}).Write(t.Context(), r); err != nil || !strings.Contains(txt.String(), "verdict PASS") {
		t.Errorf("StreamSink text: err %v, out %q", err, txt.String())
	}
	if err := Render(&j, r, Format("xml"), false); err == nil {
		t.Error("Render with an unknown format succeeded")
	}
}
