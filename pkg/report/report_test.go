package report

import (
	"slices"
	"testing"
)

func TestAggregate(t *testing.T) {
	tests := []struct {
		name   string
		checks []Status
		want   Verdict
	}{
		{"no checks at all is a pass", nil, VerdictPass},
		{"all passing checks pass", []Status{StatusPass, StatusPass}, VerdictPass},
		{"skipped checks count as passing", []Status{StatusPass, StatusSkip}, VerdictPass},
		{"a warning makes the report warn", []Status{StatusPass, StatusWarn}, VerdictWarn},
		{"an error outweighs a warning", []Status{StatusWarn, StatusError}, VerdictError},
		{"a failure outweighs an error", []Status{StatusError, StatusFail}, VerdictFail},
		{"a failure outweighs everything even when last", []Status{StatusPass, StatusSkip, StatusWarn, StatusError, StatusFail}, VerdictFail},
		{"a failure outweighs everything even when first", []Status{StatusFail, StatusError, StatusWarn, StatusSkip, StatusPass}, VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Aggregate(checksOf(tt.checks)); got != tt.want {
				t.Errorf("Aggregate(%v) = %s, want %s", tt.checks, got, tt.want)
			}
		})
	}
}

// TestAggregateEveryCombination checks properties of the DESIGN.md rule over
// every set of statuses, without computing the verdict a second way: the
// order of checks never matters, adding a check never improves the verdict,
// and a set holding only one kind of outcome gets that outcome's verdict.
func TestAggregateEveryCombination(t *testing.T) {
	all := []Status{StatusPass, StatusSkip, StatusWarn, StatusError, StatusFail}
	worse := map[Verdict]int{VerdictPass: 0, VerdictWarn: 1, VerdictError: 2, VerdictFail: 3}
	for mask := 0; mask < 1<<len(all); mask++ {
		var set []Status
		for i, s := range all {
			if mask&(1<<i) != 0 {
				set = append(set, s)
			}
		}
		got := Aggregate(checksOf(set))
		reversed := slices.Clone(set)
		slices.Reverse(reversed)
		if r := Aggregate(checksOf(reversed)); r != got {
			t.Errorf("Aggregate(%v) = %s but Aggregate(%v) = %s: order matters", set, got, reversed, r)
		}
		for _, s := range all {
			if more := Aggregate(checksOf(append(slices.Clone(set), s))); worse[more] < worse[got] {
				t.Errorf("adding %s to %v improved the verdict from %s to %s", s, set, got, more)
			}
		}
	}
	for st, want := range map[Status]Verdict{StatusPass: VerdictPass, StatusSkip: VerdictPass, StatusWarn: VerdictWarn,
		StatusError: VerdictError, StatusFail: VerdictFail} {
		if got := Aggregate(checksOf([]Status{st, st})); got != want {
			t.Errorf("Aggregate(%s, %s) = %s, want %s", st, st, got, want)
		}
	}
}

func TestFinishAndFailingIDs(t *testing.T) {
	r := newReport(map[string]Status{"token.audience": StatusFail, "isolation.imds": StatusError, "creds.shared-file": StatusWarn})
	if r.Verdict != VerdictFail {
		t.Errorf("verdict = %s, want fail", r.Verdict)
	}
	if !r.FinishedAt.Equal(t0) {
		t.Errorf("finishedAt = %s, want %s", r.FinishedAt, t0)
	}
	got := r.FailingIDs()
	want := []string{"token.audience", "isolation.imds"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("FailingIDs() = %v, want %v", got, want)
	}
	if c := r.Check("token.audience"); c == nil || c.Status != StatusFail {
		t.Errorf("Check(token.audience) = %+v, want the failing check", c)
	}
	if c := r.Check("no.such"); c != nil {
		t.Errorf("Check(no.such) = %+v, want nil", c)
	}
}

// checksOf turns statuses into checks.
func checksOf(sts []Status) []Check {
	checks := make([]Check, len(sts))
	for i, s := range sts {
		checks[i] = Check{ID: "c" + string(rune('a'+i)), Status: s}
	}
	return checks
}
