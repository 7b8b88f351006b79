package stsfront

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/coreos/go-oidc/v3/oidc"
)

func TestNewRefusesUnsafeOptions(t *testing.T) {
	ks := func(context.Context, string) (oidc.KeySet, error) { return nil, nil }
	for name, o := range map[string]Options{
		"no upstream":           {KeySet: ks},
		"a non-loopback host":   {Upstream: "http://10.0.0.1:5000", KeySet: ks},
		"a public name":         {Upstream: "https://sts.amazonaws.com", KeySet: ks},
		"not a URL":             {Upstream: "127.0.0.1:5000", KeySet: ks},
		"no key set":            {Upstream: "http://127.0.0.1:5000"},
		"the link-local target": {Upstream: "http://169.254.169.254", KeySet: ks},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
	for _, u := range []string{"http://127.0.0.1:5000", "http://localhost:5000/", "http://[::1]:5000"} {
		if _, err := New(Options{Upstream: u, KeySet: ks}); err != nil {
			t.Errorf("New(%s): %v", u, err)
		}
	}
}

// TestPassThroughIsUnchanged checks with a recording upstream that a call the
// front does not judge reaches moto with its method, path, body and headers.
func TestPassThroughIsUnchanged(t *testing.T) {
	var got *http.Request
	var gotBody string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = r, string(b)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<GetRoleResponse><GetRoleResult><Role><RoleName>x</RoleName><Arn>arn:aws:iam::123456789012:role/x</Arn></Role></GetRoleResult></GetRoleResponse>`)
	}))
	defer upstream.Close()
	f, err := New(Options{Upstream: upstream.URL, KeySet: func(context.Context, string) (oidc.KeySet, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e := &env{t: t}
	client := iam.NewFromConfig(e.config(), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	var sent *http.Request
	capture := middleware.FinalizeMiddlewareFunc("capture", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		sent = in.Request.(*smithyhttp.Request).Request
		return next.HandleFinalize(ctx, in)
	})
	out, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("x")}, iam.WithAPIOptions(func(s *middleware.Stack) error {
		return s.Finalize.Add(capture, middleware.After)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.RoleName) != "x" {
		t.Errorf("role = %+v", out.Role)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/" || !strings.Contains(gotBody, "Action=GetRole") || !strings.Contains(gotBody, "RoleName=x") {
		t.Errorf("upstream saw %s %s %q", got.Method, got.URL.Path, gotBody)
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "Content-Type", "User-Agent"} {
		if got.Header.Get(h) == "" || got.Header.Get(h) != sent.Header.Get(h) {
			t.Errorf("header %s: upstream saw %q, client sent %q", h, got.Header.Get(h), sent.Header.Get(h))
		}
	}
	if got.Host != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("Host = %q, want the front's %q (signed)", got.Host, srv.URL)
	}
	if calls := f.Calls(); calls["iam:GetRole"] != 1 {
		t.Errorf("calls = %v", calls)
	}
}

func TestCallsCountEKSAndResets(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role("eks-cluster", `{"Statement":{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	e.front.ResetCalls()
	client := eks.NewFromConfig(e.config(), func(o *eks.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	if _, err := client.CreateCluster(e.ctx(), &eks.CreateClusterInput{
		Name: aws.String("chaos"), RoleArn: aws.String(roleARN),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeCluster(e.ctx(), &eks.DescribeClusterInput{Name: aws.String("chaos")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.Cluster.Identity.Oidc.Issuer), "https://oidc.eks.") {
		t.Errorf("issuer = %q", aws.ToString(out.Cluster.Identity.Oidc.Issuer))
	}
	if _, err := client.ListClusters(e.ctx(), &eks.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"eks:CreateCluster": 1, "eks:DescribeCluster": 1, "eks:ListClusters": 1}
	if got := e.front.Calls(); len(got) != len(want) || got["eks:CreateCluster"] != 1 || got["eks:DescribeCluster"] != 1 || got["eks:ListClusters"] != 1 {
		t.Errorf("calls = %v, want %v", got, want)
	}
	e.front.ResetCalls()
	if got := e.front.Calls(); len(got) != 0 {
		t.Errorf("after ResetCalls: %v", got)
	}
}

// motoAccount makes an IAM client act in another moto account.
func motoAccount(id string) func(*iam.Options) {
	return iam.WithAPIOptions(func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("motoAccount", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			in.Request.(*smithyhttp.Request).Header.Set(motoAccountHeader, id)
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	})
}

func TestRoleInAnotherAccountUsesThatAccountsProvider(t *testing.T) {
	e := newEnv(t)
	const other = "210987654321"
	ctx := e.ctx()
	if _, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(testIssuer), ClientIDList: []string{stsAud}, ThumbprintList: []string{strings.Repeat("a", 40)},
	}, motoAccount(other)); err != nil {
		t.Fatal(err)
	}
	trust := strings.NewReplacer("{P}", "arn:aws:iam::"+other+":oidc-provider/"+issuerKey, "{I}", issuerKey).Replace(canonicalTrust)
	role, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("chaos"), AssumeRolePolicyDocument: aws.String(trust)}, motoAccount(other))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(role.Role.Arn), other) {
		t.Fatalf("moto ignored %s: role ARN %s", motoAccountHeader, aws.ToString(role.Role.Arn))
	}
	out, err := e.assume(aws.ToString(role.Role.Arn), e.token(e.saToken(litmusSub)))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity in account %s: %v", other, err)
	}
	if want := "arn:aws:sts::" + other + ":assumed-role/chaos/podcred-check"; aws.ToString(out.AssumedRoleUser.Arn) != want {
		t.Errorf("assumed role = %s, want %s", aws.ToString(out.AssumedRoleUser.Arn), want)
	}
	// The same role name in the default account does not exist: refused.
	_, err = e.assume("arn:aws:iam::"+account+":role/chaos", e.token(e.saToken(litmusSub)))
	wantAPIError(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for "+testIssuer, http.StatusBadRequest)
}

func TestChinaPartitionRole(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	cn := func(o *iam.Options) { o.Region = "cn-north-1" }
	if _, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(testIssuer), ClientIDList: []string{stsAud}, ThumbprintList: []string{strings.Repeat("b", 40)},
	}, cn); err != nil {
		t.Fatal(err)
	}
	trust := strings.NewReplacer("{P}", "arn:aws-cn:iam::"+account+":oidc-provider/"+issuerKey, "{I}", issuerKey).Replace(canonicalTrust)
	role, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("chaos"), AssumeRolePolicyDocument: aws.String(trust)}, cn)
	if err != nil {
		t.Fatal(err)
	}
	roleARN := aws.ToString(role.Role.Arn)
	if !strings.HasPrefix(roleARN, "arn:aws-cn:") {
		t.Fatalf("moto made %s in cn-north-1", roleARN)
	}
	out, err := e.assume(roleARN, e.token(e.saToken(litmusSub)))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if want := "arn:aws-cn:iam::" + account + ":oidc-provider/" + issuerKey; aws.ToString(out.Provider) != want {
		t.Errorf("provider = %s, want %s", aws.ToString(out.Provider), want)
	}
	// The aws partition has no such provider.
	_, err = e.assume("arn:aws:iam::"+account+":role/chaos", e.token(e.saToken(litmusSub)))
	wantAPIError(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found", http.StatusBadRequest)
}

func TestUnknownCallsPassThrough(t *testing.T) {
	e := newEnv(t)
	_, err := e.sts.GetCallerIdentity(e.ctx(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("moto-api through the front: %s", resp.Status)
	}
	calls := e.front.Calls()
	if calls["sts:GetCallerIdentity"] != 1 || calls["unknown:GET /moto-api"] != 1 {
		t.Errorf("calls = %v", calls)
	}
}

// The front caches provider lookups as STS caches identity provider
// configuration, but never past a change: an IAM write through the front, or
// ResetCache after a change made behind its back, is seen by the next call.
func TestProviderChangesAreSeenAtOnce(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos", canonicalTrust)
	tok := e.token(e.saToken(litmusSub))
	if _, err := e.assume(roleARN, tok); err != nil {
		t.Fatalf("first call: %v", err)
	}
	providerARN := aws.String("arn:aws:iam::" + account + ":oidc-provider/" + issuerKey)
	if _, err := e.iam.DeleteOpenIDConnectProvider(e.ctx(), &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: providerARN}); err != nil {
		t.Fatal(err)
	}
	_, err := e.assume(roleARN, tok)
	wantAPIError(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found", http.StatusBadRequest)

	// Behind the front's back (as a moto reset is): seen after ResetCache.
	e.provider(stsAud)
	if _, err := e.assume(roleARN, tok); err != nil {
		t.Fatalf("after re-creating the provider: %v", err)
	}
	direct := iam.NewFromConfig(e.config(), func(o *iam.Options) { o.BaseEndpoint = aws.String(motoURL) })
	if _, err := direct.DeleteOpenIDConnectProvider(e.ctx(), &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: providerARN}); err != nil {
		t.Fatal(err)
	}
	e.front.ResetCache()
	_, err = e.assume(roleARN, tok)
	wantAPIError(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found", http.StatusBadRequest)
}
