package ststest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
)

// Names of the IRSA pod every Pod double describes.
const (
	RoleARN   = "arn:aws:iam::123456789012:role/chaos-ec2"
	Issuer    = "https://oidc.eks.us-east-1.amazonaws.com/id/TEST"
	Namespace = "litmus"
	SA        = "litmus-admin"
	PodName   = "chaos-pod"
	PodUID    = "pod-uid"
)

// JWT builds a compact JWS with the given claims. The signature is not valid:
// the agent never verifies signatures, STS does.
func JWT(t testing.TB, claims map[string]any) string {
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

// PodClaims are the claims of a kubelet-projected token for litmus/litmus-admin
// bound to pod chaos-pod, issued at now.
func PodClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss": Issuer,
		"sub": "system:serviceaccount:" + Namespace + ":" + SA,
		"aud": []string{podiam.DefaultAudience},
		"exp": now.Add(time.Hour).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"iat": now.Add(-time.Minute).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      Namespace,
			"serviceaccount": map[string]string{"name": SA, "uid": "sa-uid"},
			"pod":            map[string]string{"name": PodName, "uid": PodUID},
		},
	}
}

// Pod is the process environment of a healthy IRSA pod as the pod identity
// webhook injects it, with STS and IMDS pointed at loopback test servers.
type Pod struct {
	STS       *Server
	IMDS      *httptest.Server
	Dir       string
	TokenPath string
	Token     string
}

// NewPod sets the environment (t.Setenv) of a healthy IRSA pod. IMDS answers
// like an instance without a profile unless a test replaces it.
func NewPod(t *testing.T) *Pod {
	t.Helper()
	p := &Pod{STS: New(t), Dir: t.TempDir()}
	p.WriteToken(t, JWT(t, PodClaims(time.Now())))
	p.IMDS = httptest.NewServer(IMDS("", false))
	t.Cleanup(p.IMDS.Close)
	for k, v := range map[string]string{
		podiam.EnvRoleARN: RoleARN, podiam.EnvTokenFile: p.TokenPath,
		"AWS_ENDPOINT_URL_STS": p.STS.URL, podiam.EnvRegion: "us-east-1",
		podiam.EnvIMDSEndpoint: p.IMDS.URL, podiam.EnvIMDSDisabled: "true",
		"HOME":                    p.Dir,
		podiam.EnvSharedCredsFile: filepath.Join(p.Dir, "no-credentials"),
		podiam.EnvConfigFile:      filepath.Join(p.Dir, "no-config"),
		"POD_NAME":                PodName, "POD_NAMESPACE": Namespace, "POD_UID": PodUID,
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{podiam.EnvAccessKeyID, podiam.EnvSecretAccessKey, podiam.EnvSessionToken, podiam.EnvProfile, "AWS_ENDPOINT_URL",
		podiam.EnvDefaultRegion, podiam.EnvContainerCredsFullURI, podiam.EnvContainerCredsRelativeURI,
		podiam.EnvContainerAuthToken, podiam.EnvContainerAuthTokenFile, "POD_SERVICE_ACCOUNT",
		"KUBERNETES_SERVICE_HOST"} {
		Unsetenv(t, k)
	}
	return p
}

// Unsetenv unsets k for the test and restores it afterwards.
func Unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "")
	os.Unsetenv(k)
}

// WriteToken replaces the pod's token file contents.
func (p *Pod) WriteToken(t *testing.T, tok string) {
	t.Helper()
	p.Token = tok
	p.TokenPath = filepath.Join(p.Dir, "token")
	if err := os.WriteFile(p.TokenPath, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
}

// CloudConfigPath is where tests put a Litmus cloud-secret file for this pod.
func (p *Pod) CloudConfigPath() string { return filepath.Join(p.Dir, "cloud_config.yml") }

// IMDS answers like EC2's instance metadata service: a v2 session token on
// PUT, the instance profile's role (if any) under iam/security-credentials/,
// and v1 (tokenless) reads only when v1 is allowed.
func IMDS(role string, v1 bool) http.HandlerFunc {
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
