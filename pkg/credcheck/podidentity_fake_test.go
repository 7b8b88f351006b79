package credcheck

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// providerFunc is a function-typed credentials provider (stscreds' mock style).
type providerFunc func(context.Context) (aws.Credentials, error)

func (f providerFunc) Retrieve(ctx context.Context) (aws.Credentials, error) { return f(ctx) }

// callerFunc is a function-typed GetCallerIdentity client.
type callerFunc func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)

func (f callerFunc) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, o ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f(ctx, in, o...)
}

// endpointErr is an endpoint's refusal as the SDK's endpointcreds client reports it.
type endpointErr struct {
	code, msg string
	status    int
}

func (e endpointErr) Error() string                 { return e.code + ": " + e.msg }
func (e endpointErr) ErrorCode() string             { return e.code }
func (e endpointErr) ErrorMessage() string          { return e.msg }
func (e endpointErr) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }
func (e endpointErr) HTTPStatusCode() int           { return e.status }

const fakeToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bGl0bXVzOmxpdG11cy1hZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl"

func TestPodIdentityCredentialsHandsTheIssuedKeysOnlyToSTS(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour)
	issued := aws.Credentials{AccessKeyID: "ASIAPI", SecretAccessKey: "secret", SessionToken: "session", AccountID: "123456789012", CanExpire: true, Expires: exp}
	var signedWith string
	caller := callerFunc(func(ctx context.Context, _ *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
		var o sts.Options
		for _, fn := range opts {
			fn(&o)
		}
		c, _ := o.Credentials.Retrieve(ctx)
		signedWith = c.AccessKeyID
		return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:sts::123456789012:assumed-role/r/eks-c-p-1")}, nil
	})
	res, id := podIdentityCredentials(t.Context(), providerFunc(func(context.Context) (aws.Credentials, error) { return issued, nil }),
		caller, "http://127.0.0.1:1/v1/credentials", fakeToken, time.Second)
	if res.Err != nil || res.AccountID != "123456789012" || !res.Expiration.Equal(exp) {
		t.Errorf("result %+v", res)
	}
	if signedWith != "ASIAPI" || id == nil || id.ARN != "arn:aws:sts::123456789012:assumed-role/r/eks-c-p-1" {
		t.Errorf("GetCallerIdentity signed with %q answered %+v", signedWith, id)
	}
}

func TestPodIdentityCredentialsFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		creds   aws.Credentials
		code    string
		refused bool
	}{
		{"a 403 refusal", endpointErr{"AccessDeniedException", "no", 403}, aws.Credentials{}, "AccessDeniedException", true},
		{"a 400 without a known code is still a refusal", endpointErr{"InvalidRequestException", "no", 400}, aws.Credentials{}, "InvalidRequestException", true},
		{"a 500 is unavailable", endpointErr{"InternalServerException", "later", 500}, aws.Credentials{}, "InternalServerException", false},
		{"a 429 is unavailable", endpointErr{"", "slow down", 429}, aws.Credentials{}, "Too Many Requests", false},
		{"an answer without keys is unusable", nil, aws.Credentials{AccountID: "1"}, "MissingCredentials", false},
		{"an endpoint echoing the token is scrubbed", endpointErr{"", "(InvalidTokenException): bad token " + fakeToken, 400}, aws.Credentials{}, "InvalidTokenException", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			called := false
			caller := callerFunc(func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
				called = true
				return nil, errors.New("not to be called")
			})
			res, id := podIdentityCredentials(t.Context(), providerFunc(func(context.Context) (aws.Credentials, error) { return tt.creds, tt.err }),
				caller, "http://127.0.0.1:1/v1/credentials", fakeToken, time.Second)
			if res.Err == nil || res.Err.Code != tt.code || res.Err.Refused() != tt.refused {
				t.Fatalf("error %+v, want code %s refused=%v", res.Err, tt.code, tt.refused)
			}
			if called || id != nil {
				t.Error("GetCallerIdentity was called without credentials")
			}
			for _, part := range strings.Split(fakeToken, ".") {
				if strings.Contains(res.Err.Message, part) {
					t.Errorf("the message quotes the token: %s", res.Err.Message)
				}
			}
		})
	}
}
