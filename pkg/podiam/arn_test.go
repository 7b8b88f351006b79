package podiam

import (
	"strings"
	"testing"
)

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		in, name, path, err string
	}{
		{in: "arn:aws:iam::123456789012:role/chaos", name: "chaos", path: "/"},
		{in: "arn:aws-us-gov:iam::123456789012:role/team/chaos", name: "chaos", path: "/team/"},
		{in: "arn:aws-cn:iam::123456789012:role/a/b/c+=,.@-_", name: "c+=,.@-_", path: "/a/b/"},
		{in: "", err: "empty"},
		{in: " arn:aws:iam::123456789012:role/x", err: "whitespace"},
		{in: "arn:aws:iam::123456789012:user/x", err: "want role/"},
		{in: "arn:aws:sts::123456789012:role/x", err: "want iam"},
		{in: "arn:azure:iam::123456789012:role/x", err: "unknown partition"},
		{in: "arn:aws:iam:us-east-1:123456789012:role/x", err: "region"},
		{in: "arn:aws:iam::1234567890123:role/x", err: "12 digits"},
		{in: "arn:aws:iam::123456789012:role/", err: "invalid role name"},
		{in: "arn:aws:iam::123456789012:role/a//b", err: "invalid path"},
		{in: "not-an-arn", err: "not an ARN"},
	}
	for _, tt := range tests {
		got, err := ParseRoleARN(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRoleARN(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Name != tt.name || got.Path != tt.path || got.String() != tt.in {
			t.Errorf("ParseRoleARN(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

// FuzzParseRoleARN: a parsed ARN renders back to its input.
func FuzzParseRoleARN(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:role/x", "arn:aws-cn:iam::123456789012:role/p/q/r", "arn:aws:iam::1:role/", "arn:::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRoleARN(s)
		if err == nil && r.String() != s {
			t.Fatalf("ParseRoleARN(%q) renders as %q", s, r.String())
		}
	})
}
