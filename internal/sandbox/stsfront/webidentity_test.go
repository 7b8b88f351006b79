package stsfront

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/coreos/go-oidc/v3/oidc"
)

const canonicalTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"{P}"},
	"Action":"sts:AssumeRoleWithWebIdentity",
	"Condition":{"StringEquals":{"{I}:sub":"` + litmusSub + `","{I}:aud":"sts.amazonaws.com"}}}]}`

func (e *env) assume(roleARN, token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return e.sts.AssumeRoleWithWebIdentity(e.ctx(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("podcred-check"), WebIdentityToken: aws.String(token),
	})
}

// wantAPIError asserts the error's code, message (prefix) and HTTP status,
// and that it carries a request ID.
func wantAPIError(t *testing.T, err error, code, msgPrefix string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), msgPrefix) {
		t.Fatalf("error = %s: %q, want %s: %q...", ae.ErrorCode(), ae.ErrorMessage(), code, msgPrefix)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("HTTP status = %d, want %d", re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Error("no request ID")
	}
}

func TestAssumeRoleWithWebIdentitySucceedsAndCallerIdentityIsTheRole(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos-ec2", canonicalTrust)
	e.front.ResetCalls()

	out, err := e.assume(roleARN, e.token(e.saToken(litmusSub)))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != litmusSub || aws.ToString(out.Audience) != stsAud ||
		aws.ToString(out.Provider) != "arn:aws:iam::"+account+":oidc-provider/"+issuerKey {
		t.Errorf("subject/audience/provider = %q %q %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
	c := out.Credentials
	cfg := e.config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	assumed := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	id, err := assumed.GetCallerIdentity(e.ctx(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if want := "arn:aws:sts::" + account + ":assumed-role/chaos-ec2/podcred-check"; aws.ToString(id.Arn) != want {
		t.Errorf("caller ARN = %s, want %s", aws.ToString(id.Arn), want)
	}
	calls := e.front.Calls()
	if calls["sts:AssumeRoleWithWebIdentity"] != 1 || calls["sts:GetCallerIdentity"] != 1 || len(calls) != 2 {
		t.Errorf("calls = %v", calls)
	}
}

func TestAssumeRoleWithWebIdentityRefusals(t *testing.T) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		clientID string // the provider's client ID; "" for no provider
		roleARN  string // default: the created role
		token    func(e *env) string
		code     string
		message  string
		status   int
	}{
		{
			name: "no OIDC provider for the issuer", token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code: "InvalidIdentityToken", message: "No OpenIDConnect provider found in your account for " + testIssuer, status: 400,
		},
		{
			name: "the provider is in another account than the role", clientID: stsAud, roleARN: "arn:aws:iam::210987654321:role/chaos-ec2",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "InvalidIdentityToken", message: "No OpenIDConnect provider found in your account for " + testIssuer, status: 400,
		},
		{
			name: "a token from another issuer", clientID: stsAud,
			token: func(e *env) string {
				c := e.saToken(litmusSub)
				c["iss"] = "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER"
				return e.token(c)
			},
			code: "InvalidIdentityToken", message: "No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER", status: 400,
		},
		{
			name: "the token audience is not a client ID of the provider", clientID: stsAud,
			token: func(e *env) string {
				c := e.saToken(litmusSub)
				c["aud"] = []string{"https://kubernetes.default.svc"}
				return e.token(c)
			},
			code: "InvalidIdentityToken", message: msgAudience, status: 400,
		},
		{
			name: "the provider lacks the sts.amazonaws.com client ID", clientID: "some-other-client",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "InvalidIdentityToken", message: msgAudience, status: 400,
		},
		{
			name: "a token signed with a key the issuer does not publish", clientID: stsAud,
			token: func(e *env) string { return e.token(e.saToken(litmusSub), otherKey) },
			code:  "InvalidIdentityToken", message: msgNoKey, status: 400,
		},
		{
			name: "a token whose payload was altered after signing", clientID: stsAud,
			token: func(e *env) string {
				good := strings.Split(e.token(e.saToken(litmusSub)), ".")
				forged := strings.Split(e.token(e.saToken("system:serviceaccount:kube-system:admin"), otherKey), ".")
				return good[0] + "." + forged[1] + "." + good[2]
			},
			code: "InvalidIdentityToken", message: msgNoKey, status: 400,
		},
		{
			name: "a garbage token", clientID: stsAud,
			token: func(*env) string { return "this-is-not-a-jwt" },
			code:  "InvalidIdentityToken", message: msgNotJWT, status: 400,
		},
		{
			name: "three parts that are not base64 JSON", clientID: stsAud,
			token: func(*env) string { return "a.b.c" },
			code:  "InvalidIdentityToken", message: msgNotJWT, status: 400,
		},
		{
			name: "an expired token", clientID: stsAud,
			token: func(e *env) string {
				c := e.saToken(litmusSub)
				c["exp"] = e.now.Add(-10 * time.Minute).Unix()
				return e.token(c)
			},
			code: "ExpiredTokenException", message: "Token expired: current date/time ", status: 400,
		},
		{
			name: "the role does not exist", clientID: stsAud, roleARN: "arn:aws:iam::" + account + ":role/no-such-role",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "AccessDenied", message: msgNotAuthorized, status: 403,
		},
		{
			name: "the role's name with a path it does not have", clientID: stsAud, roleARN: "arn:aws:iam::" + account + ":role/team/chaos-ec2",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "AccessDenied", message: msgNotAuthorized, status: 403,
		},
		{
			name: "the trust policy names another namespace", clientID: stsAud,
			token: func(e *env) string { return e.token(e.saToken("system:serviceaccount:default:litmus-admin")) },
			code:  "AccessDenied", message: msgNotAuthorized, status: 403,
		},
		{
			name: "a malformed role ARN", clientID: stsAud, roleARN: "arn:aws:iam::123:role/chaos",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "ValidationError", message: msgInvalidARN, status: 400,
		},
		{
			name: "a role ARN that is too short", clientID: stsAud, roleARN: "arn:aws:iam::1:x",
			token: func(e *env) string { return e.token(e.saToken(litmusSub)) },
			code:  "ValidationError", message: "1 validation error detected: Value 'arn:aws:iam::1:x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", status: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.clientID != "" {
				e.provider(tt.clientID)
			}
			roleARN := e.role("chaos-ec2", canonicalTrust)
			if tt.roleARN != "" {
				roleARN = tt.roleARN
			}
			_, err := e.assume(roleARN, tt.token(e))
			wantAPIError(t, err, tt.code, tt.message, tt.status)
			switch tt.code {
			case "InvalidIdentityToken":
				var typed *types.InvalidIdentityTokenException
				if !errors.As(err, &typed) {
					t.Errorf("error %T does not unwrap to *types.InvalidIdentityTokenException", err)
				}
			case "ExpiredTokenException":
				var typed *types.ExpiredTokenException
				if !errors.As(err, &typed) {
					t.Errorf("error %T does not unwrap to *types.ExpiredTokenException", err)
				}
			}
		})
	}
}

func TestExpiredTokenMessageNamesBothTimes(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos-ec2", canonicalTrust)
	c := e.saToken(litmusSub)
	exp := e.now.Add(-time.Minute).Unix()
	c["exp"] = exp
	_, err := e.assume(roleARN, e.token(c))
	var typed *types.ExpiredTokenException
	if !errors.As(err, &typed) {
		t.Fatalf("error = %v", err)
	}
	want := "Token expired: current date/time " + itoa(e.now.Unix()) + " must be before the expiration date/time " + itoa(exp)
	if typed.ErrorMessage() != want {
		t.Errorf("message = %q, want %q", typed.ErrorMessage(), want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTrustPolicyDecisions(t *testing.T) {
	tests := []struct {
		name  string
		trust string
		sub   string
		allow bool
	}{
		{"StringEquals with a wildcard is literal and refuses", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"{I}:sub":"system:serviceaccount:litmus:*"}}}}`, litmusSub, false},
		{"StringLike with a wildcard admits", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringLike":{"{I}:sub":"system:serviceaccount:litmus:*"}}}}`, litmusSub, true},
		{"no sub condition admits any service account", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"{I}:aud":"sts.amazonaws.com"}}}}`, "system:serviceaccount:anything:else", true},
		{"a Deny statement wins over the Allow", `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"{I}:sub":"` + litmusSub + `"}}}]}`, litmusSub, false},
		{"condition keys are case-insensitive", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"` + strings.ToUpper(issuerKey) + `:SUB":"` + litmusSub + `"}}}}`, litmusSub, true},
		{"a trust policy for EC2 only refuses", `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, litmusSub, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.provider(stsAud)
			roleARN := e.role("chaos", tt.trust)
			_, err := e.assume(roleARN, e.token(e.saToken(tt.sub)))
			if tt.allow {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantAPIError(t, err, "AccessDenied", msgNotAuthorized, http.StatusForbidden)
		})
	}
}

func TestDurationAboveTheRoleMaximumIsRefused(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos", canonicalTrust)
	_, err := e.sts.AssumeRoleWithWebIdentity(e.ctx(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(e.token(e.saToken(litmusSub))),
		DurationSeconds: aws.Int32(7200),
	})
	wantAPIError(t, err, "ValidationError", msgDurationExceeded, http.StatusBadRequest)
	_, err = e.sts.AssumeRoleWithWebIdentity(e.ctx(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(e.token(e.saToken(litmusSub))),
		DurationSeconds: aws.Int32(60),
	})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '60' at 'durationSeconds'", http.StatusBadRequest)
}

func TestUnreachableKeySetIsInvalidIdentityToken(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.KeySet = func(context.Context, string) (oidc.KeySet, error) {
			return nil, errors.New("jwks endpoint answered 403")
		}
	})
	e.provider(stsAud)
	roleARN := e.role("chaos", canonicalTrust)
	_, err := e.assume(roleARN, e.token(e.saToken(litmusSub)))
	wantAPIError(t, err, "InvalidIdentityToken", msgNoKey, http.StatusBadRequest)
}

// TestErrorWireShape checks the raw answer, as any client sees it, including
// a call whose parameters come in the query string.
func TestErrorWireShape(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos", canonicalTrust)
	q := url.Values{
		"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN},
		"RoleSessionName": {"podcred"}, "WebIdentityToken": {"not<a>jwt&"},
	}
	resp, err := http.Get(e.srv.URL + "/?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
		Error   struct{ Type, Code, Message string }
		ReqID   string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("answer is not an STS ErrorResponse: %v\n%s", err, body)
	}
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "text/xml" ||
		resp.Header.Get("x-amzn-RequestId") == "" || resp.Header.Get("x-amzn-RequestId") != doc.ReqID {
		t.Errorf("status %d, headers %v, request ID %q", resp.StatusCode, resp.Header, doc.ReqID)
	}
	if doc.Error.Type != "Sender" || doc.Error.Code != "InvalidIdentityToken" || doc.Error.Message != msgNotJWT {
		t.Errorf("error = %+v", doc.Error)
	}
	if strings.Contains(string(body), "not<a>jwt") {
		t.Error("the answer echoes the token")
	}
}
