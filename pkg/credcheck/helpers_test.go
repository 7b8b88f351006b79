package credcheck

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/report"
)

const (
	testRole   = "arn:aws:iam::123456789012:role/chaos-ec2"
	testIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/TEST"
)

// makeJWT builds a compact JWS with the given claims. The signature is not
// valid: the agent never verifies signatures, STS does.
func makeJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// podClaims are the claims of a kubelet-projected token for litmus/litmus-admin in pod chaos-pod.
func podClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer,
		"sub": "system:serviceaccount:litmus:litmus-admin",
		"aud": []string{"sts.amazonaws.com"},
		"exp": now.Add(time.Hour).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"iat": now.Add(-time.Minute).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      "litmus",
			"serviceaccount": map[string]string{"name": "litmus-admin", "uid": "sa-uid"},
			"pod":            map[string]string{"name": "chaos-pod", "uid": "pod-uid"},
		},
	}
}

// agentWorld is a process environment as the pod identity webhook injects it,
// pointing every AWS endpoint at loopback test servers.
type agentWorld struct {
	sts       *ststest.Server
	dir       string
	tokenPath string
	token     string
	imds      *httptest.Server
}

// newAgentWorld sets the environment of a healthy IRSA pod. IMDS answers 404
// (no instance profile) unless a test replaces it.
func newAgentWorld(t *testing.T) *agentWorld {
	t.Helper()
	w := &agentWorld{sts: ststest.New(t), dir: t.TempDir()}
	w.writeToken(t, makeJWT(t, podClaims(time.Now())))
	w.imds = httptest.NewServer(fakeIMDS("", false))
	t.Cleanup(w.imds.Close)
	for k, v := range map[string]string{
		EnvRoleARN: testRole, EnvTokenFile: w.tokenPath,
		"AWS_ENDPOINT_URL_STS": w.sts.URL, "AWS_REGION": "us-east-1",
		EnvIMDSEndpoint: w.imds.URL, EnvIMDSDisabled: "true",
		"HOME":             w.dir,
		EnvSharedCredsFile: filepath.Join(w.dir, "no-credentials"),
		EnvConfigFile:      filepath.Join(w.dir, "no-config"),
		EnvPodName:         "chaos-pod", EnvPodNamespace: "litmus", EnvPodUID: "pod-uid",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{EnvAccessKeyID, EnvSecretAccessKey, EnvSessionToken, EnvProfile, "AWS_ENDPOINT_URL",
		"AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", EnvPodServiceAcct} {
		unsetenv(t, k)
	}
	return w
}

func unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "")
	os.Unsetenv(k)
}

func (w *agentWorld) writeToken(t *testing.T, tok string) {
	t.Helper()
	w.token = tok
	w.tokenPath = filepath.Join(w.dir, "token")
	if err := os.WriteFile(w.tokenPath, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
}

// options are the agent options for this world (no Litmus file on the real /tmp).
func (w *agentWorld) options() Options {
	return Options{CredentialFiles: []string{filepath.Join(w.dir, "cloud_config.yml")}, IMDSTimeout: 300 * time.Millisecond, CallTimeout: 2 * time.Second}
}

func statusOf(t *testing.T, r *report.Report, id string) report.Check {
	t.Helper()
	c := r.Check(id)
	if c == nil {
		t.Fatalf("report has no check %s", id)
	}
	return *c
}

func assertStatus(t *testing.T, r *report.Report, id string, want report.Status, msgContains ...string) {
	t.Helper()
	c := statusOf(t, r, id)
	if c.Status != want {
		t.Errorf("%s: status %s, want %s (message: %s)", id, c.Status, want, c.Message)
	}
	for _, s := range msgContains {
		if !strings.Contains(c.Message+" "+c.Remedy, s) {
			t.Errorf("%s: message/remedy lacks %q:\n  message: %s\n  remedy: %s", id, s, c.Message, c.Remedy)
		}
	}
}

// fakeIMDS answers like EC2's instance metadata service: a v2 session token
// on PUT, the instance profile's role (if any) under iam/security-credentials/,
// and v1 (tokenless) reads only when v1 is allowed.
func fakeIMDS(role string, v1 bool) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			rw.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
			fmt.Fprint(rw, "imds-session-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") == "" && !v1:
			rw.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/" && role != "":
			fmt.Fprint(rw, role+"\n")
		default:
			http.NotFound(rw, r)
		}
	}
}
