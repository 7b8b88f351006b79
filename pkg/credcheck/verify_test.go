package credcheck

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

func verify(t *testing.T, w *ststest.Pod, mutate ...func(*Options)) *report.Report {
	t.Helper()
	o := options(w)
	for _, m := range mutate {
		m(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Verify(ctx, o)
}

func TestVerifyHealthyPodPassesEveryCheck(t *testing.T) {
	w := ststest.NewPod(t)
	r := verify(t, w)
	if r.Verdict != report.VerdictPass {
		t.Errorf("verdict %s, want pass", r.Verdict)
	}
	for _, s := range AgentSpecs {
		c := statusOf(t, r, s.ID)
		want := report.StatusPass
		if s.ID == IDIsolationCross || strings.HasPrefix(s.ID, "podidentity.") {
			want = report.StatusSkip // no --deny-role-arn; an IRSA pod
		}
		if c.Status != want {
			t.Errorf("%s: %s (%s), want %s", s.ID, c.Status, c.Message, want)
		}
	}
	if r.Identity == nil || !strings.HasPrefix(r.Identity.Arn, "arn:aws:sts::123456789012:assumed-role/chaos-ec2/podcred-chaos-pod-") {
		t.Errorf("identity %+v, want the assumed role", r.Identity)
	}
	if r.Subject.Namespace != "litmus" || r.Subject.ServiceAccount != "litmus-admin" || r.Subject.RoleArn != testRole {
		t.Errorf("subject %+v", r.Subject)
	}
	if r.ExpiresAt == nil || r.ExpiresAt.Before(time.Now()) {
		t.Errorf("expiresAt %v, want the future", r.ExpiresAt)
	}
	// The explicit call and the SDK chain each assume the role once.
	if n := w.STS.Count("AssumeRoleWithWebIdentity"); n != 2 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times, want 2 (explicit + chain)", n)
	}
	assertNoSecrets(t, r, w.Token)
}

// assertNoSecrets checks the report's JSON for every secret the fake issued and the raw token.
func assertNoSecrets(t *testing.T, r *report.Report, token string) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{ststest.SecretKey, ststest.SessionToken, ststest.AccessKeyPrefix, token}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		secrets = append(secrets, parts[1], parts[2])
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(b), s) {
			t.Errorf("report leaks a secret (%.12s...)", s)
		}
	}
}

func TestVerifyStaticKeysInEnvironmentFail(t *testing.T) {
	w := ststest.NewPod(t)
	t.Setenv(podiam.EnvAccessKeyID, "AKIASTATICSTATIC1234")
	t.Setenv(podiam.EnvSecretAccessKey, "static/secret/key/value/DoNotLeak")
	r := verify(t, w)
	if r.Verdict != report.VerdictFail {
		t.Fatalf("verdict %s, want fail", r.Verdict)
	}
	assertStatus(t, r, IDCredsStaticEnv, report.StatusFail, "AWS_ACCESS_KEY_ID", "remove")
	assertStatus(t, r, IDChainSource, report.StatusFail, "EnvConfigCredentials")
	if b, _ := json.Marshal(r); strings.Contains(string(b), "static/secret/key/value/DoNotLeak") || strings.Contains(string(b), "AKIASTATICSTATIC1234") {
		t.Error("report leaks the static keys")
	}
}

func TestVerifyGarbageTokenFailsTokenClaimsWithoutCallingSTSExplicitly(t *testing.T) {
	w := ststest.NewPod(t)
	w.WriteToken(t, "this is not a jwt at all")
	r := verify(t, w)
	if r.Verdict != report.VerdictFail {
		t.Fatalf("verdict %s, want fail", r.Verdict)
	}
	assertStatus(t, r, IDTokenClaims, report.StatusFail, "not a JWT", w.TokenPath)
	assertStatus(t, r, IDSTSAssumeRole, report.StatusSkip)
	assertStatus(t, r, IDSTSCallerIdentity, report.StatusSkip)
	assertStatus(t, r, IDTokenAudience, report.StatusSkip)
	assertNoSecrets(t, r, w.Token)
}

func TestVerifyUnreachableSTSIsAnErrorNotAFail(t *testing.T) {
	w := ststest.NewPod(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", closed)
	start := time.Now()
	r := verify(t, w)
	if r.Verdict != report.VerdictError {
		t.Fatalf("verdict %s, want error", r.Verdict)
	}
	assertStatus(t, r, IDSTSAssumeRole, report.StatusError, "NetworkError", "nothing was verified")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with STS unreachable", d)
	}
	if cli.ExitCode(r.Verdict, false) != cli.ExitUnverified {
		t.Error("an unreachable STS must exit 1")
	}
}

func TestVerifyMapsEverySTSErrorToACauseAndFix(t *testing.T) {
	tests := []struct {
		name     string
		answer   ststest.Answer
		status   report.Status
		contains []string
		attempts int
	}{
		{"trust policy refuses the subject", ststest.Answer{Status: 403, Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
			report.StatusFail, []string{"trust policy of chaos-ec2", "system:serviceaccount:litmus:litmus-admin", `"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/TEST"`, "update-assume-role-policy"}, 1},
		{"no OIDC provider for the issuer", ststest.Answer{Status: 400, Code: "InvalidIdentityToken", Message: "No OpenIDConnect provider found in your account for " + testIssuer},
			report.StatusFail, []string{"no IAM OIDC provider", "eksctl utils associate-iam-oidc-provider"}, 1},
		{"provider lacks the audience", ststest.Answer{Status: 400, Code: "InvalidIdentityToken", Message: "Incorrect token audience"},
			report.StatusFail, []string{"client IDs", "add-client-id-to-open-id-connect-provider", "--client-id sts.amazonaws.com"}, 1},
		{"signature cannot be verified", ststest.Answer{Status: 400, Code: "InvalidIdentityToken", Message: "Couldn't retrieve verification key from your identity provider"},
			report.StatusFail, []string{"could not validate the token", testIssuer}, 1},
		{"token expired at STS", ststest.Answer{Status: 400, Code: "ExpiredTokenException", Message: "Token expired: current date/time must be before the expiration date/time"},
			report.StatusFail, []string{"expired", "recreate the pod"}, 1},
		{"provider rejects claims", ststest.Answer{Status: 403, Code: "IDPRejectedClaim", Message: "rejected"},
			report.StatusFail, []string{"rejected the token's claims"}, 1},
		{"region disabled", ststest.Answer{Status: 403, Code: "RegionDisabledException", Message: "STS is not activated"},
			report.StatusFail, []string{"not activated"}, 1},
		{"throttled is retried, then an error", ststest.Answer{Status: 400, Code: "Throttling", Message: "Rate exceeded"},
			report.StatusError, []string{"retried with backoff", "Throttling"}, 3},
		{"issuer unreachable from STS is retried, then an error", ststest.Answer{Status: 400, Code: "IDPCommunicationError", Message: "could not reach"},
			report.StatusError, []string{"could not reach the cluster's OIDC issuer"}, 3},
		{"429 too many requests is retried, then an error", ststest.Answer{Status: 429, Code: "TooManyRequestsException", Message: "slow down"},
			report.StatusError, []string{"retried with backoff"}, 3},
		{"500 internal failure is retried, then an error", ststest.Answer{Status: 500, Code: "InternalFailure", Message: "oops"},
			report.StatusError, []string{"retried with backoff"}, 3},
		{"service unavailable is retried, then an error", ststest.Answer{Status: 503, Code: "ServiceUnavailable", Message: "try later"},
			report.StatusError, []string{"retried with backoff"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ststest.NewPod(t)
			w.STS.AnswerAssume(testRole, tt.answer)
			r := verify(t, w, func(o *Options) { o.CallTimeout = 10 * time.Second })
			assertStatus(t, r, IDSTSAssumeRole, tt.status, tt.contains...)
			c := statusOf(t, r, IDSTSAssumeRole)
			if c.Evidence["errorCode"] != tt.answer.Code || !strings.HasPrefix(c.Evidence["requestId"], "req-") {
				t.Errorf("evidence %v: want the AWS error code and request ID", c.Evidence)
			}
			assertStatus(t, r, IDSTSCallerIdentity, report.StatusSkip)
			if explicit := w.STS.ExplicitAssumes(); explicit != tt.attempts {
				t.Errorf("explicit AssumeRoleWithWebIdentity attempts %d, want %d", explicit, tt.attempts)
			}
		})
	}
}

func TestVerifyCallerIdentityOfAnotherPrincipalFails(t *testing.T) {
	w := ststest.NewPod(t)
	w.STS.CallerARN = "arn:aws:sts::999999999999:assumed-role/other/x"
	r := verify(t, w)
	assertStatus(t, r, IDSTSCallerIdentity, report.StatusFail, "999999999999")
}

func TestVerifyIMDS(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	tests := []struct {
		name     string
		handler  http.Handler
		status   report.Status
		contains []string
	}{
		{"node role through v2 and v1", ststest.IMDS("eks-node-role", true), report.StatusFail, []string{"eks-node-role", "IMDSv2 and IMDSv1", "hop-limit 1"}},
		{"node role through v2 only", ststest.IMDS("eks-node-role", false), report.StatusFail, []string{"eks-node-role", "through IMDSv2 at"}},
		{"no instance profile", ststest.IMDS("", true), report.StatusPass, []string{"no instance profile"}},
		{"hop limit: the PUT hangs", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}), report.StatusPass, []string{"no answer within the probe timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ststest.NewPod(t)
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			t.Setenv(podiam.EnvIMDSEndpoint, srv.URL)
			start := time.Now()
			r := verify(t, w)
			assertStatus(t, r, IDIsolationIMDS, tt.status, tt.contains...)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("run took %s: the IMDS probe must stay within its 300ms timeout", d)
			}
		})
	}
	t.Run("closed port answers at once", func(t *testing.T) {
		w := ststest.NewPod(t)
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		start := time.Now()
		r := verify(t, w, func(o *Options) { o.IMDSEndpoint = "http://" + addr; o.IMDSTimeout = 5 * time.Second })
		assertStatus(t, r, IDIsolationIMDS, report.StatusPass, "connection refused")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s: a refused connection must not wait out the timeout", d)
		}
	})
	t.Run("disabled without an endpoint is skipped", func(t *testing.T) {
		w := ststest.NewPod(t)
		ststest.Unsetenv(t, podiam.EnvIMDSEndpoint)
		r := verify(t, w)
		assertStatus(t, r, IDIsolationIMDS, report.StatusSkip, "AWS_EC2_METADATA_DISABLED")
	})
}

func TestVerifyCrossRole(t *testing.T) {
	other := "arn:aws:iam::123456789012:role/other-experiment"
	t.Run("refused role passes", func(t *testing.T) {
		w := ststest.NewPod(t)
		w.STS.AnswerAssume(other, ststest.Answer{Status: 403, Code: "AccessDenied", Message: "Not authorized"})
		r := verify(t, w, func(o *Options) { o.DenyRoleARNs = []string{other} })
		assertStatus(t, r, IDIsolationCross, report.StatusPass, "refused this token for 1")
	})
	t.Run("assumable role fails", func(t *testing.T) {
		w := ststest.NewPod(t)
		r := verify(t, w, func(o *Options) { o.DenyRoleARNs = []string{other} })
		assertStatus(t, r, IDIsolationCross, report.StatusFail, other, "StringEquals")
	})
	t.Run("no answer is an error", func(t *testing.T) {
		w := ststest.NewPod(t)
		w.STS.AnswerAssume(other, ststest.Answer{Status: 500, Code: "InternalFailure", Message: "boom"})
		r := verify(t, w, func(o *Options) { o.DenyRoleARNs = []string{other} })
		assertStatus(t, r, IDIsolationCross, report.StatusError, "InternalFailure")
	})
}

func TestVerifyLitmusCloudSecretFileWarns(t *testing.T) {
	w := ststest.NewPod(t)
	cloud := w.CloudConfigPath()
	if err := os.WriteFile(cloud, []byte("[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETDONOTLEAK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := verify(t, w)
	assertStatus(t, r, IDCredsSharedFile, report.StatusWarn, cloud, "cloud-secret", "default")
	if r.Verdict != report.VerdictWarn {
		t.Errorf("verdict %s, want warn", r.Verdict)
	}
	if b, _ := json.Marshal(r); strings.Contains(string(b), "SECRETDONOTLEAK") || strings.Contains(string(b), "AKIAEXAMPLE") {
		t.Error("report leaks the file's keys")
	}
}

func TestVerifySharedFileSelectedByEnvironmentTakesTheChain(t *testing.T) {
	w := ststest.NewPod(t)
	creds := w.CloudConfigPath()
	os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETDONOTLEAK\n"), 0o600)
	t.Setenv(podiam.EnvSharedCredsFile, creds)
	ststest.Unsetenv(t, podiam.EnvRoleARN) // the pod predates the annotation: only the file remains
	ststest.Unsetenv(t, podiam.EnvTokenFile)
	r := verify(t, w)
	assertStatus(t, r, IDEnvRoleArn, report.StatusFail, "AWS_ROLE_ARN is not set", "kubectl annotate serviceaccount -n litmus")
	assertStatus(t, r, IDChainSource, report.StatusFail, "SharedConfigCredentials")
	assertStatus(t, r, IDCredsSharedFile, report.StatusWarn, "AWS_SHARED_CREDENTIALS_FILE")
}

func TestVerifyExpiredTokenFailsTokenClaims(t *testing.T) {
	w := ststest.NewPod(t)
	c := podClaims(time.Now().Add(-2 * time.Hour))
	w.WriteToken(t, makeJWT(t, c))
	w.STS.AnswerAssume("", ststest.Answer{Status: 400, Code: "ExpiredTokenException", Message: "Token expired"})
	r := verify(t, w)
	assertStatus(t, r, IDTokenClaims, report.StatusFail, "token expired at")
	assertStatus(t, r, IDSTSAssumeRole, report.StatusFail, "ExpiredTokenException")
}

func TestVerifyRespectsTheRunDeadline(t *testing.T) {
	w := ststest.NewPod(t)
	w.STS.AnswerAssume("", ststest.Answer{Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := Verify(ctx, options(w))
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Verify took %s past a 700ms deadline", d)
	}
	if r.Verdict != report.VerdictError {
		t.Errorf("verdict %s, want error (nothing verified)", r.Verdict)
	}
	assertStatus(t, r, IDSTSAssumeRole, report.StatusError)
}

func TestVerifyTransportFaultsEndInADefiniteError(t *testing.T) {
	tests := []struct {
		name   string
		answer ststest.Answer
		code   string
	}{
		{"connection reset", ststest.Answer{Reset: true}, "NetworkError"},
		{"malformed XML", ststest.Answer{Malformed: true}, "MalformedResponse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ststest.NewPod(t)
			w.STS.AnswerAssume(testRole, tt.answer)
			start := time.Now()
			r := verify(t, w)
			if r.Verdict != report.VerdictError {
				t.Errorf("verdict %s, want error: nothing was verified", r.Verdict)
			}
			c := statusOf(t, r, IDSTSAssumeRole)
			if c.Status != report.StatusError {
				t.Errorf("sts.assume-role %s (%s), want error", c.Status, c.Message)
			}
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("took %s", d)
			}
			if c.Evidence["errorCode"] != tt.code {
				t.Errorf("error code %q, want %q", c.Evidence["errorCode"], tt.code)
			}
			if n := w.STS.ExplicitAssumes(); n > 3 {
				t.Errorf("%d attempts: retries must be bounded", n)
			}
			t.Logf("%s after %d attempt(s): %s", c.Evidence["errorCode"], w.STS.ExplicitAssumes(), c.Message)
		})
	}
}

func TestVerifyLearnsTheServiceAccountFromThePodsOwnTokenWithoutIRSA(t *testing.T) {
	w := ststest.NewPod(t)
	ststest.Unsetenv(t, podiam.EnvRoleARN)
	ststest.Unsetenv(t, podiam.EnvTokenFile)
	kubeToken := filepath.Join(w.Dir, "kube-token")
	claims := podClaims(time.Now())
	claims["aud"] = []string{"https://kubernetes.default.svc"}
	if err := os.WriteFile(kubeToken, []byte(makeJWT(t, claims)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := verify(t, w, func(o *Options) { o.KubeTokenFile = kubeToken })
	if r.Subject.ServiceAccount != ststest.SA || r.Subject.Namespace != ststest.Namespace {
		t.Errorf("subject %+v: the failing report must name the ServiceAccount so it can be published", r.Subject)
	}
	assertStatus(t, r, IDEnvRoleArn, report.StatusFail, "kubectl annotate serviceaccount -n litmus litmus-admin")
}
