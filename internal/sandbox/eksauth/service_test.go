package eksauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/rs/zerolog"
)

const (
	testIssuer  = "https://oidc.eks.us-east-1.amazonaws.com/id/TEST"
	testAccount = "123456789012"
	roleARN     = "arn:aws:iam::123456789012:role/chaos"
	goodTrust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
)

// fakeBackend is a Backend of plain values; assumed records the STS calls.
type fakeBackend struct {
	trust   string
	assumed []AssumeRoleInput
}

func (f *fakeBackend) Cluster(_ context.Context, name string) (*Cluster, error) {
	if name != "sandbox" {
		return nil, nil
	}
	return &Cluster{Name: name, ARN: "arn:aws:eks:us-east-1:" + testAccount + ":cluster/sandbox", Issuer: testIssuer, Account: testAccount}, nil
}

func (f *fakeBackend) Role(_ context.Context, arn string) (*Role, error) {
	if arn != roleARN {
		return nil, nil
	}
	return &Role{ARN: arn, RoleID: "AROATEST", TrustPolicy: f.trust}, nil
}

func (f *fakeBackend) AssumeRole(_ context.Context, in AssumeRoleInput) (*Issued, error) {
	f.assumed = append(f.assumed, in)
	return &Issued{AccessKeyID: "ASIATEST", SecretAccessKey: "secret-test", SessionToken: "session-test", Expiration: time.Now().Add(time.Hour),
		AssumedRoleARN: "arn:aws:sts::" + testAccount + ":assumed-role/chaos/" + in.SessionName, AssumedRoleID: "AROATEST:" + in.SessionName}, nil
}

type fixture struct {
	backend *fakeBackend
	svc     *Service
	front   *httptest.Server
	agent   *Agent
	eks     *eks.Client
	key     *rsa.PrivateKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{backend: &fakeBackend{trust: goodTrust}, key: key}
	f.svc, err = New(Options{Backend: f.backend, Logger: zerolog.Nop(), KeySet: func(context.Context, string) (oidc.KeySet, error) {
		return &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&key.PublicKey}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Handles(r) {
			http.NotFound(w, r)
			return
		}
		f.svc.ServeHTTP(w, r)
	}))
	t.Cleanup(f.front.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIANODE", "node-secret", "")
	if f.agent, err = StartAgent(AgentOptions{EKSAuthURL: f.front.URL, ClusterName: "sandbox", Credentials: creds}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.agent.Stop() })
	f.eks = eks.New(eks.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(f.front.URL)})
	return f
}

func (f *fixture) token(t *testing.T, mut func(map[string]any), key ...*rsa.PrivateKey) string {
	t.Helper()
	claims := map[string]any{
		"iss": testIssuer, "sub": "system:serviceaccount:litmus:chaos", "aud": []string{"pods.eks.amazonaws.com"},
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
		"kubernetes.io": map[string]any{"namespace": "litmus", "pod": map[string]any{"name": "exp-pod", "uid": "uid-1"}},
	}
	if mut != nil {
		mut(claims)
	}
	k := f.key
	if len(key) > 0 {
		k = key[0]
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) associate(t *testing.T) *ekstypes.PodIdentityAssociation {
	t.Helper()
	out, err := f.eks.CreatePodIdentityAssociation(context.Background(), &eks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("sandbox"), Namespace: aws.String("litmus"), ServiceAccount: aws.String("chaos"), RoleArn: aws.String(roleARN),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Association
}

// getCredentials calls the agent as the SDK's container provider does.
func (f *fixture) getCredentials(t *testing.T, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.agent.URL, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

func TestAssociationAPIsWithTheGoSDK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.associate(t)
	if !strings.HasPrefix(aws.ToString(a.AssociationId), "a-") || !strings.Contains(aws.ToString(a.AssociationArn), ":podidentityassociation/sandbox/") {
		t.Fatalf("association %s / %s does not look like EKS's", aws.ToString(a.AssociationId), aws.ToString(a.AssociationArn))
	}
	_, err := f.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("sandbox"), Namespace: aws.String("litmus"), ServiceAccount: aws.String("chaos"), RoleArn: aws.String(roleARN)})
	var inUse *ekstypes.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second association for the same SA: %v, want ResourceInUseException", err)
	}
	for _, tc := range []struct {
		ns, sa string
		want   int
	}{{"litmus", "chaos", 1}, {"litmus", "other", 0}, {"other", "", 0}, {"", "", 1}} {
		in := &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("sandbox")}
		if tc.ns != "" {
			in.Namespace = aws.String(tc.ns)
		}
		if tc.sa != "" {
			in.ServiceAccount = aws.String(tc.sa)
		}
		out, err := f.eks.ListPodIdentityAssociations(ctx, in)
		if err != nil || len(out.Associations) != tc.want {
			t.Fatalf("list %s/%s: %v, %d associations, want %d", tc.ns, tc.sa, err, len(out.Associations), tc.want)
		}
	}
	got, err := f.eks.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("sandbox"), AssociationId: a.AssociationId})
	if err != nil || aws.ToString(got.Association.RoleArn) != roleARN || got.Association.CreatedAt == nil {
		t.Fatalf("describe: %v %+v", err, got)
	}
	if _, err := f.eks.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("sandbox"), AssociationId: a.AssociationId}); err != nil {
		t.Fatal(err)
	}
	_, err = f.eks.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("sandbox"), AssociationId: a.AssociationId})
	var nf *ekstypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("describe after delete: %v, want ResourceNotFoundException", err)
	}
	_, err = f.eks.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("nope")})
	if !errors.As(err, &nf) {
		t.Fatalf("list on a missing cluster: %v, want ResourceNotFoundException", err)
	}
}

func TestAgentServesCredentialsForAnAssociatedServiceAccount(t *testing.T) {
	f := newFixture(t)
	f.associate(t)
	status, body := f.getCredentials(t, f.token(t, nil))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var c agentCreds
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.AccessKeyID != "ASIATEST" || c.Token != "session-test" || c.AccountID != testAccount {
		t.Fatalf("answer %s: %v", body, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, c.Expiration); err != nil {
		t.Fatalf("Expiration %q: %v", c.Expiration, err)
	}
	in := f.backend.assumed[0]
	if !strings.HasPrefix(in.SessionName, "eks-sandbox-exp-pod-") || len(in.SessionName) > 64 {
		t.Fatalf("session name %q, want eks-<cluster>-<pod>-<uuid>", in.SessionName)
	}
	if in.Tags["kubernetes-namespace"] != "litmus" || in.Tags["kubernetes-service-account"] != "chaos" || in.Tags["kubernetes-pod-name"] != "exp-pod" {
		t.Fatalf("session tags %v", in.Tags)
	}
}

func TestAgentRefusals(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name      string
		trust     string
		associate bool
		token     func(f *fixture, t *testing.T) string
		status    int
		code      string
	}{
		{name: "no token", associate: true, token: func(*fixture, *testing.T) string { return "" }, status: 400, code: "Service account token cannot be empty"},
		{name: "not a JWT", associate: true, token: func(*fixture, *testing.T) string { return "garbage" }, status: 400, code: "cannot be parsed"},
		{name: "no association", token: func(f *fixture, t *testing.T) string { return f.token(t, nil) }, status: 404, code: "(ResourceNotFoundException)"},
		{name: "the IRSA audience", associate: true, status: 400, code: "(InvalidTokenException)",
			token: func(f *fixture, t *testing.T) string {
				return f.token(t, func(c map[string]any) { c["aud"] = []string{"sts.amazonaws.com"} })
			}},
		{name: "signed by another key", associate: true, status: 400, code: "(InvalidTokenException)",
			token: func(f *fixture, t *testing.T) string { return f.token(t, nil, other) }},
		{name: "trust names ec2.amazonaws.com", associate: true, status: 400, code: "(AccessDeniedException)",
			trust: strings.ReplaceAll(goodTrust, "pods.eks", "ec2"),
			token: func(f *fixture, t *testing.T) string { return f.token(t, nil) }},
		{name: "trust lacks sts:TagSession", associate: true, status: 400, code: "(AccessDeniedException)",
			trust: strings.ReplaceAll(goodTrust, `,"sts:TagSession"`, ""),
			token: func(f *fixture, t *testing.T) string { return f.token(t, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.trust != "" {
				f.backend.trust = tt.trust
			}
			if tt.associate {
				f.associate(t)
			}
			status, body := f.getCredentials(t, tt.token(f, t))
			if status != tt.status || !strings.Contains(body, tt.code) {
				t.Fatalf("status %d %q, want %d with %q", status, body, tt.status, tt.code)
			}
			if len(f.backend.assumed) != 0 {
				t.Fatal("a refused exchange still assumed the role")
			}
		})
	}
}

func TestExpiredTokenIsExpiredTokenException(t *testing.T) {
	f := newFixture(t)
	f.associate(t)
	// The agent itself refuses an expired token before EKS Auth sees it; EKS Auth answers on its own too.
	tok := f.token(t, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	if status, body := f.getCredentials(t, tok); status != 400 || !strings.Contains(body, "token is expired") {
		t.Fatalf("agent: %d %q", status, body)
	}
	resp, err := http.Post(f.front.URL+"/clusters/sandbox/assume-role-for-pod-identity", "application/json", strings.NewReader(`{"token":"`+tok+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "ExpiredTokenException" {
		t.Fatalf("eks-auth: %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}

func TestAgentRefusesAnotherTargetHost(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodGet, f.agent.URL, nil)
	req.Host = "169.254.170.23" // only the Host header: nothing is sent there
	req.Header.Set("Authorization", f.token(t, nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}
