package credcheck

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// healthyFacts are the facts of a correctly set-up pod.
func healthyFacts() Facts {
	exp := &NumericDate{now.Add(time.Hour)}
	return Facts{
		Now: now, Audience: podiam.DefaultAudience,
		Pod:     PodIdentity{Name: "chaos-pod", Namespace: "litmus", UID: "pod-uid", ServiceAccount: "litmus-admin"},
		RoleARN: testRole, TokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
		Claims: &Claims{Issuer: testIssuer, Subject: "system:serviceaccount:litmus:litmus-admin", Audience: Audience{"sts.amazonaws.com"},
			Expiry: exp, Kubernetes: &KubernetesClaims{Namespace: "litmus", Pod: &ObjectRef{Name: "chaos-pod", UID: "pod-uid"}}},
		Assume: &AssumeResult{AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/chaos-ec2/s", SessionName: "s", Expiration: now.Add(time.Hour)},
		Caller: &CallerResult{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/chaos-ec2/s"},
		Chain:  &ChainResult{Source: "WebIdentityCredentials", ARN: "arn:aws:sts::123456789012:assumed-role/chaos-ec2/123", Account: "123456789012"},
		IMDS:   &IMDSResult{Endpoint: "http://127.0.0.1:1", V2: ProbeOutcome{Detail: "refused"}, V1: ProbeOutcome{Detail: "refused"}},
	}
}

func TestEveryCheckPassesOnHealthyFacts(t *testing.T) {
	for _, c := range Evaluate(healthyFacts()) {
		want := report.StatusPass
		if c.ID == IDIsolationCross || strings.HasPrefix(c.ID, "podidentity.") {
			want = report.StatusSkip // no --deny-role-arn; an IRSA pod
		}
		if c.Status != want {
			t.Errorf("%s: %s (%s), want %s", c.ID, c.Status, c.Message, want)
		}
		if c.Title == "" || (c.Step == 0) != strings.HasPrefix(c.ID, "isolation.") {
			t.Errorf("%s: spec step %d / title %q", c.ID, c.Step, c.Title)
		}
	}
}

func TestChecksFailWithTheDocumentedCause(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		mutate func(*Facts)
		want   report.Status
		says   []string
	}{
		{"role ARN missing", IDEnvRoleArn, func(f *Facts) { f.RoleARN = "" }, report.StatusFail,
			[]string{"AWS_ROLE_ARN is not set", "kubectl annotate serviceaccount -n litmus litmus-admin eks.amazonaws.com/role-arn="}},
		{"role ARN malformed", IDEnvRoleArn, func(f *Facts) { f.RoleARN = "arn:aws:iam::12345:role/x" }, report.StatusFail,
			[]string{"want 12 digits"}},
		{"role ARN in China partition", IDEnvRoleArn, func(f *Facts) { f.RoleARN = "arn:aws-cn:iam::123456789012:role/x" }, report.StatusPass, nil},
		{"token file unset", IDEnvTokenFile, func(f *Facts) { f.TokenFile = "" }, report.StatusFail, []string{"AWS_WEB_IDENTITY_TOKEN_FILE is not set"}},
		{"token file not readable by non-root", IDEnvTokenFile, func(f *Facts) {
			f.TokenReadErr, f.TokenPermissionDenied = fs.ErrPermission, true
		}, report.StatusFail, []string{"permission denied", "fsGroup"}},
		{"token file missing", IDEnvTokenFile, func(f *Facts) { f.TokenReadErr = errors.New("open x: no such file or directory") },
			report.StatusFail, []string{"no such file", "aws-iam-token"}},
		{"issuer not https", IDTokenClaims, func(f *Facts) { f.Claims.Issuer = "http://issuer" }, report.StatusFail, []string{"not an https URL"}},
		{"no exp", IDTokenClaims, func(f *Facts) { f.Claims.Expiry = nil }, report.StatusFail, []string{"no exp claim"}},
		{"expired", IDTokenClaims, func(f *Facts) { f.Claims.Expiry = &NumericDate{now.Add(-time.Minute)} }, report.StatusFail, []string{"token expired at", "1m0s ago"}},
		{"not yet valid", IDTokenClaims, func(f *Facts) { f.Claims.NotBefore = &NumericDate{now.Add(time.Hour)} }, report.StatusFail, []string{"node clock"}},
		{"expires within the run", IDTokenClaims, func(f *Facts) {
			f.Claims.Expiry = &NumericDate{now.Add(10 * time.Second)}
			f.RunDeadline = now.Add(30 * time.Second)
		}, report.StatusWarn, []string{"before this run's deadline"}},
		{"undecodable token", IDTokenClaims, func(f *Facts) { f.Claims, f.ClaimsErr = nil, errors.New("token is not a JWT") }, report.StatusFail, []string{"not a JWT"}},
		{"audience is the issuer", IDTokenAudience, func(f *Facts) { f.Claims.Audience = Audience{testIssuer} }, report.StatusFail,
			[]string{`does not contain "sts.amazonaws.com"`, "eks.amazonaws.com/audience"}},
		{"custom audience expected and present", IDTokenAudience, func(f *Facts) { f.Audience = "custom"; f.Claims.Audience = Audience{"custom", "x"} }, report.StatusPass, nil},
		{"subject of another namespace", IDTokenSubject, func(f *Facts) { f.Claims.Subject = "system:serviceaccount:other:litmus-admin" }, report.StatusFail,
			[]string{`namespace "other"`}},
		{"subject of another ServiceAccount", IDTokenSubject, func(f *Facts) { f.Claims.Subject = "system:serviceaccount:litmus:default" }, report.StatusFail,
			[]string{`ServiceAccount "default"`}},
		{"token bound to another pod", IDTokenSubject, func(f *Facts) { f.Claims.Kubernetes.Pod.UID = "other-uid" }, report.StatusFail,
			[]string{"pod UID other-uid"}},
		{"subject not a ServiceAccount", IDTokenSubject, func(f *Facts) { f.Claims.Subject = "alice" }, report.StatusFail, []string{"not system:serviceaccount"}},
		{"static keys", IDCredsStaticEnv, func(f *Facts) { f.StaticEnv = StaticEnv{AccessKeyID: true, SecretAccessKey: true} }, report.StatusFail,
			[]string{"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"}},
		{"lone session token", IDCredsStaticEnv, func(f *Facts) { f.StaticEnv = StaticEnv{SessionToken: true} }, report.StatusWarn, []string{"AWS_SESSION_TOKEN"}},
		{"credentials file", IDCredsSharedFile, func(f *Facts) {
			f.SharedFiles = []SharedFile{{Path: "/root/.aws/credentials", Via: "default location", Profiles: []string{"default"}}}
		}, report.StatusWarn, []string{"/root/.aws/credentials"}},
		{"assume refused", IDSTSAssumeRole, func(f *Facts) {
			f.Assume.Err = &podiam.CallError{Operation: "AssumeRoleWithWebIdentity", Code: "AccessDenied", Kind: podiam.KindRefused}
		}, report.StatusFail, []string{"trust policy"}},
		{"assume not attempted", IDSTSAssumeRole, func(f *Facts) { f.Assume = nil }, report.StatusSkip, nil},
		{"caller in another account", IDSTSCallerIdentity, func(f *Facts) { f.Caller.Account = "999999999999" }, report.StatusFail, []string{"999999999999"}},
		{"caller unavailable", IDSTSCallerIdentity, func(f *Facts) {
			f.Caller.Err = &podiam.CallError{Operation: "GetCallerIdentity", Code: "Timeout", Kind: podiam.KindUnavailable}
		}, report.StatusError, nil},
		{"chain from environment keys", IDChainSource, func(f *Facts) { f.Chain.Source = "EnvConfigCredentials" }, report.StatusFail, []string{"EnvConfigCredentials", "environment keys win"}},
		{"chain from IMDS", IDChainSource, func(f *Facts) { f.Chain.Source = "EC2RoleProvider" }, report.StatusFail, []string{"node's instance role"}},
		{"chain as another role", IDChainSource, func(f *Facts) { f.Chain.ARN = "arn:aws:sts::123456789012:assumed-role/other/1" }, report.StatusFail, []string{"not role chaos-ec2"}},
		{"chain unreachable", IDChainSource, func(f *Facts) { f.Chain = &ChainResult{LoadErr: errors.New("dial"), Unavailable: true} }, report.StatusError, nil},
		{"chain finds nothing", IDChainSource, func(f *Facts) { f.Chain = &ChainResult{LoadErr: errors.New("no valid providers")} }, report.StatusFail, nil},
		{"node role via IMDSv1 only", IDIsolationIMDS, func(f *Facts) { f.IMDS.V1 = ProbeOutcome{Reachable: true, RoleName: "node"} }, report.StatusFail, []string{"IMDSv1", "hop-limit"}},
		{"another role assumable", IDIsolationCross, func(f *Facts) { f.DenyRoles = []CrossRoleResult{{RoleARN: "arn:aws:iam::1:role/o", Allowed: true}} }, report.StatusFail, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := healthyFacts()
			tt.mutate(&f)
			var got *report.Check
			for _, c := range Evaluate(f) {
				if c.ID == tt.id {
					got = &c
				}
			}
			if got == nil {
				t.Fatalf("no check %s", tt.id)
			}
			if got.Status != tt.want {
				t.Errorf("status %s (%s), want %s", got.Status, got.Message, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(got.Message+" | "+got.Remedy, s) {
					t.Errorf("lacks %q: %s | %s", s, got.Message, got.Remedy)
				}
			}
		})
	}
}

func TestDecodeClaims(t *testing.T) {
	good := makeJWT(t, podClaims(now))
	c, err := DecodeClaims([]byte(good + "\n"))
	if err != nil || c.Issuer != testIssuer || !c.Audience.Contains("sts.amazonaws.com") || c.Kubernetes.Pod.Name != "chaos-pod" || c.Algorithm != "RS256" {
		t.Fatalf("DecodeClaims = %+v, %v", c, err)
	}
	single := makeJWT(t, map[string]any{"iss": testIssuer, "aud": "sts.amazonaws.com", "exp": 1.8e9})
	if c, err := DecodeClaims([]byte(single)); err != nil || !c.Audience.Contains("sts.amazonaws.com") {
		t.Errorf("a string aud must decode: %+v, %v", c, err)
	}
	for in, want := range map[string]string{
		"":                            "empty",
		"garbage":                     "3 dot-separated parts",
		"a.b.c":                       "not base64url",
		"e30.bm90IGpzb24.sig":         "not JSON",
		"e30.eyJhdWQiOjF9.sig":        "aud is neither",
		"e30.eyJleHAiOiJzb29uIn0.sig": "NumericDate",
		"e30.e30.":                    "no signature",
	} {
		if _, err := DecodeClaims([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeClaims(%q) error %v, want %q", in, err, want)
		}
	}
}

func TestSessionNameIsAlwaysValid(t *testing.T) {
	for _, pod := range []string{"", "chaos-pod", strings.Repeat("x", 200), "a b/c:d"} {
		s := SessionName(pod, now)
		if len(s) < 2 || len(s) > 64 || sessionUnsafe.MatchString(s) {
			t.Errorf("SessionName(%q) = %q is not a valid RoleSessionName", pod, s)
		}
	}
}
