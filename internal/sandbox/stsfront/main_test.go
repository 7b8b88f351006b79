package stsfront

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// motoURL is the moto server TestMain started; motoErr says why there is none.
var (
	motoURL string
	motoErr error
)

const motoHint = "the sandbox needs moto in server mode: pip install 'moto[server]'"

func TestMain(m *testing.M) {
	stop, err := startMoto()
	if err != nil {
		motoErr = err
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// startMoto starts `python3 -m moto.server` on a free loopback port in its own
// process group and waits until it answers.
func startMoto() (stop func(), err error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("python3 not found: %w", err)
	}
	if out, err := exec.Command(py, "-c", "import moto.server").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("python3 cannot import moto.server: %v: %s", err, strings.TrimSpace(string(out)))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/moto-api/data.json")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				motoURL = base
				return stop, nil
			}
		}
		select {
		case <-done:
			return nil, errors.New("moto exited before answering")
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	return nil, errors.New("moto did not answer within 20s")
}

const (
	account    = "123456789012"
	testIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/5C0FFEE0DECAF00DBADC0DE5C0FFEE00"
	issuerKey  = "oidc.eks.us-east-1.amazonaws.com/id/5C0FFEE0DECAF00DBADC0DE5C0FFEE00"
	stsAud     = "sts.amazonaws.com"
	litmusSub  = "system:serviceaccount:litmus:litmus-admin"
)

// env is a front before a freshly reset moto, with SDK clients pointed at it.
type env struct {
	t     *testing.T
	front *Front
	srv   *httptest.Server
	sts   *sts.Client
	iam   *iam.Client
	key   *rsa.PrivateKey
	now   time.Time
}

type envOption func(*Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	if motoErr != nil {
		t.Fatalf("%v\n%s", motoErr, motoHint)
	}
	resp, err := http.Post(motoURL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	_ = resp.Body.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, key: key, now: time.Now().Truncate(time.Second)}
	o := Options{
		Upstream: motoURL,
		KeySet: func(_ context.Context, issuer string) (oidc.KeySet, error) {
			return &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&key.PublicKey}}, nil
		},
		Now: func() time.Time { return e.now },
	}
	for _, opt := range opts {
		opt(&o)
	}
	e.front, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.front)
	t.Cleanup(e.srv.Close)
	e.sts = sts.NewFromConfig(e.config(), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	e.iam = iam.NewFromConfig(e.config(), func(o *iam.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	return e
}

// config is an SDK config with static keys and no retries, so that the first
// error is the one asserted.
func (e *env) config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

// provider creates the IAM OIDC provider for testIssuer with the given client IDs.
func (e *env) provider(clientIDs ...string) {
	e.t.Helper()
	_, err := e.iam.CreateOpenIDConnectProvider(e.ctx(), &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String(testIssuer),
		ClientIDList:   clientIDs,
		ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"},
	})
	if err != nil {
		e.t.Fatalf("create OIDC provider: %v", err)
	}
}

// role creates a role with a trust policy; {P} is replaced by the provider
// ARN and {I} by the issuer's condition-key prefix. It returns the role ARN.
func (e *env) role(name, trust string) string {
	e.t.Helper()
	trust = strings.NewReplacer("{P}", "arn:aws:iam::"+account+":oidc-provider/"+issuerKey, "{I}", issuerKey).Replace(trust)
	out, err := e.iam.CreateRole(e.ctx(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		e.t.Fatalf("create role %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// token signs claims with key (the env's key unless another is given).
func (e *env) token(claims map[string]any, key ...*rsa.PrivateKey) string {
	e.t.Helper()
	k := e.key
	if len(key) > 0 {
		k = key[0]
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: "test-key"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// saToken returns the claims of a projected service-account token for sub,
// valid for an hour from the env's clock.
func (e *env) saToken(sub string) map[string]any {
	return map[string]any{
		"iss": testIssuer,
		"sub": sub,
		"aud": []string{stsAud},
		"iat": e.now.Unix(),
		"nbf": e.now.Unix(),
		"exp": e.now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      "litmus",
			"serviceaccount": map[string]any{"name": "litmus-admin", "uid": "b7d3c1a0-0000-4000-8000-000000000001"},
		},
	}
}
