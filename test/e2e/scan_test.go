package e2e

import (
	"strings"
	"testing"
)

// The secret scan at the end of the suite is only as good as its matcher:
// it must find a secret anywhere in an output, a token by its signature
// alone, and never print what it found.
func TestSecretScanFindsWhatItLooksForWithoutPrintingIt(t *testing.T) {
	defer stopOnPanic()
	const (
		key   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSCANTESTKEY"
		sig   = "c2lnbmF0dXJlLW9mLWEtdG9rZW4tdGhhdC1tdXN0LW5vdC1sZWFr"
		token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0." + sig
	)
	for _, tc := range []struct {
		name   string
		output string
		leaks  int
	}{
		{"a clean output", `{"verdict":"pass","identity":{"arn":"arn:aws:sts::123456789012:assumed-role/r/s"}}`, 0},
		{"a secret key inside a log line", `{"level":"debug","creds":"` + key + `"}`, 1},
		{"a raw token", "Authorization: Bearer " + token, 1},
		{"a token's signature alone", "sig=" + sig, 1},
		{"two secrets in one output", key + " " + token, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			var c collector
			c.add("stdout", []byte(tc.output))
			leaks := c.scan([]string{key, token})
			if len(leaks) != tc.leaks {
				t.Fatalf("found %d leaks, want %d", len(leaks), tc.leaks)
			}
			for _, l := range leaks {
				if strings.Contains(l.secret, key) || strings.Contains(l.secret, sig) {
					t.Fatalf("the leak report prints the secret: %s", l.secret)
				}
			}
		})
	}
}
