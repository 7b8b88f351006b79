package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, newline\nand tab\t": "plain text, newline\nand tab\t",
		"sub \u202Eevil":                 "sub [U+202E]evil",
		"\u2066isolate\u2069":            "[U+2066]isolate[U+2069]",
		"zero\u200Bwidth":                "zero[U+200B]width",
		"esc \x1b[31m red":               "esc [U+001B][31m red",
		"c1 \u009b":                      "c1 [U+009B]",
		"bad \xff utf8":                  "bad \uFFFD utf8",
		"accents: é ü 日本":                "accents: é ü 日本",
	} {
		if got := SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// A right-to-left override in a trust policy's condition reaches the reader
// of every text renderer as a visible escape, never as the raw character.
func TestEveryTextRendererEscapesBidiControls(t *testing.T) {
	r := withVerdict(VerdictFail)
	r.Checks[0].Status = StatusFail
	r.Checks[0].Message = "condition admits system:serviceaccount:litmus:\u202Enimda-sumtil"
	r.Checks[0].Remedy = "remove \u2067the override\u2069"
	r.Subject.ServiceAccount = "sa\u202E"
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJUnit} {
		var b bytes.Buffer
		if err := Render(&b, r, f, false); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		for _, bad := range []string{"\u202E", "\u2067", "\u2069"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output holds a raw %U", f, []rune(bad)[0])
			}
		}
		if !strings.Contains(out, "[U+202E]nimda-sumtil") {
			t.Errorf("%s output does not show the override as [U+202E]:\n%s", f, out)
		}
	}
}
