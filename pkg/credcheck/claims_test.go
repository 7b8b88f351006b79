package credcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/report"
)

func TestATokenBoundToNoPodFailsWhenThePodIsKnown(t *testing.T) {
	tests := []struct {
		name string
		pod  PodIdentity
		want report.Status
	}{
		{"POD_UID set", PodIdentity{Namespace: "litmus", UID: "pod-uid", ServiceAccount: "litmus-admin"}, report.StatusFail},
		{"POD_NAME set", PodIdentity{Namespace: "litmus", Name: "chaos-pod", ServiceAccount: "litmus-admin"}, report.StatusFail},
		{"pod unknown (outside a cluster)", PodIdentity{Namespace: "litmus", ServiceAccount: "litmus-admin"}, report.StatusPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := healthyFacts()
			f.Pod = tt.pod
			f.Claims.Kubernetes = &KubernetesClaims{Namespace: "litmus"} // kubectl create token: no pod claim
			c := checkTokenSubject(f)
			if c.Status != tt.want {
				t.Fatalf("token.subject %s (%s), want %s", c.Status, c.Message, tt.want)
			}
			if tt.want == report.StatusFail && !strings.Contains(c.Message, "not bound to any pod") {
				t.Errorf("message %q does not say the token is bound to no pod", c.Message)
			}
		})
	}
}

func TestAnExpiryInTheYear9999SaysWhatIsWrong(t *testing.T) {
	c, err := DecodeClaims([]byte(makeJWT(t, map[string]any{
		"iss": testIssuer, "sub": "system:serviceaccount:litmus:litmus-admin", "aud": "sts.amazonaws.com",
		"exp": int64(253402300799), "iat": now.Unix(),
	})))
	if err != nil {
		t.Fatalf("exp in 9999 is a valid NumericDate, got %v", err)
	}
	f := healthyFacts()
	f.Claims = &c
	r := checkTokenClaims(f)
	if r.Status != report.StatusWarn {
		t.Fatalf("token.claims %s (%s), want warn", r.Status, r.Message)
	}
	for _, want := range []string{"9999-12-31T23:59:59Z", "7973 years", "far longer than any projected token lives"} {
		if !strings.Contains(r.Message, want) {
			t.Errorf("message %q lacks %q", r.Message, want)
		}
	}
	// A projected token of 1 year (the apiserver's extension) still passes.
	f.Claims.Expiry = &NumericDate{now.Add(365 * 24 * time.Hour)}
	if r := checkTokenClaims(f); r.Status != report.StatusPass {
		t.Errorf("a 1-year token: %s (%s), want pass", r.Status, r.Message)
	}
}

func TestNumericDatesOutsideRFC3339AreNamed(t *testing.T) {
	for raw, want := range map[string]string{
		"1e300":          "after the year 9999",
		"-5":             "before 1970",
		`"tomorrow"`:     "want seconds since 1970",
		"253402300800.5": "after the year 9999",
	} {
		var d NumericDate
		err := d.UnmarshalJSON([]byte(raw))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NumericDate %s: %v, want %q", raw, err, want)
		}
	}
}
