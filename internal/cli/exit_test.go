package cli

import (
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name    string
		verdict report.Verdict
		strict  bool
		want    int
	}{
		{"pass exits 0", report.VerdictPass, false, ExitPass},
		{"pass exits 0 even when strict", report.VerdictPass, true, ExitPass},
		{"warn exits 0 when not strict", report.VerdictWarn, false, ExitPass},
		{"warn exits 4 when strict", report.VerdictWarn, true, ExitWarnStrict},
		{"fail exits 3", report.VerdictFail, false, ExitFail},
		{"fail exits 3 when strict", report.VerdictFail, true, ExitFail},
		{"error exits 1: could not verify", report.VerdictError, false, ExitUnverified},
		{"error exits 1 when strict", report.VerdictError, true, ExitUnverified},
		{"an unknown verdict fails closed with 1", report.Verdict("maybe"), false, ExitUnverified},
		{"an empty verdict fails closed with 1", report.Verdict(""), true, ExitUnverified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.verdict, tt.strict); got != tt.want {
				t.Errorf("ExitCode(%q, %v) = %d, want %d", tt.verdict, tt.strict, got, tt.want)
			}
		})
	}
}
