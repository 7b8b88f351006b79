package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestRenderMarkdownIsOneTableForCISummaries(t *testing.T) {
	r := newReport(map[string]Status{"sts.assume-role": StatusFail, "isolation.cross-role": StatusSkip})
	r.Check("sts.assume-role").Message = "refused | <script>alert(1)</script>\nsecond line"
	r.Check("sts.assume-role").Remedy = "aws iam update-assume-role-policy --role-name a|b `x`"
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatMarkdown, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "### ❌ podcred-agent v0.1.0 — verdict **FAIL**") {
		t.Errorf("headline %q", lines[0])
	}
	var rows []string
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| Step | Check") {
			rows = append(rows, l)
		}
	}
	if len(rows) != len(r.Checks) {
		t.Fatalf("%d rows for %d checks:\n%s", len(rows), len(r.Checks), out)
	}
	for _, row := range rows {
		// Five cells: six unescaped pipes.
		if n := strings.Count(row, "|") - strings.Count(row, `\|`); n != 6 {
			t.Errorf("row has %d cell separators: %s", n, row)
		}
	}
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") || !strings.Contains(out, "<br>second line") {
		t.Errorf("message not escaped:\n%s", out)
	}
	if !strings.Contains(out, "`aws iam update-assume-role-policy --role-name a\\|b 'x'`") {
		t.Errorf("remedy not in a code span:\n%s", out)
	}
	if !strings.Contains(out, "role `"+testRole+"`") {
		t.Errorf("subject missing:\n%s", out)
	}
}
