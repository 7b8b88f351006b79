package stsfront

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func (e *env) getRole(ctx context.Context) error {
	_, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("chaos")})
	return err
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, err error)
	}{
		{"throttling answers 400 Throttling", Fault{Kind: FaultThrottling}, func(t *testing.T, err error) {
			wantAPIError(t, err, "Throttling", "Rate exceeded", http.StatusBadRequest)
		}},
		{"too many requests answers 429", Fault{Kind: FaultTooManyRequests}, func(t *testing.T, err error) {
			wantAPIError(t, err, "Throttling", "Rate exceeded", http.StatusTooManyRequests)
		}},
		{"internal error answers 500", Fault{Kind: FaultInternalError}, func(t *testing.T, err error) {
			wantAPIError(t, err, "InternalFailure", "The request processing has failed", http.StatusInternalServerError)
		}},
		{"service unavailable answers 503", Fault{Kind: FaultServiceUnavailable}, func(t *testing.T, err error) {
			wantAPIError(t, err, "ServiceUnavailable", "Service is unavailable", http.StatusServiceUnavailable)
		}},
		{"a reset connection is a transport error", Fault{Kind: FaultReset}, func(t *testing.T, err error) {
			var re *awshttp.ResponseError
			if err == nil || (errors.As(err, &re) && re.HTTPStatusCode() != 0) {
				t.Fatalf("error = %v, want a connection error without a response", err)
			}
			if !strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("error = %v, want a reset or EOF", err)
			}
		}},
		{"a malformed answer fails deserialization", Fault{Kind: FaultMalformed}, func(t *testing.T, err error) {
			var ae smithy.APIError
			if err == nil || errors.As(err, &ae) {
				t.Fatalf("error = %v (%T), want a deserialization error", err, ae)
			}
			if !strings.Contains(err.Error(), "XML syntax error") {
				t.Errorf("error = %v, want an XML syntax error", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.role("chaos", canonicalTrust)
			e.front.ResetCalls()
			tt.fault.Times = 1
			e.front.SetFault("iam:GetRole", tt.fault)
			tt.check(t, e.getRole(e.ctx()))
			if err := e.getRole(e.ctx()); err != nil {
				t.Fatalf("the fault did not clear after one call: %v", err)
			}
			if got := e.front.Calls()["iam:GetRole"]; got != 2 {
				t.Errorf("iam:GetRole calls = %d, want 2 (faulted calls count)", got)
			}
		})
	}
}

func TestSlowFault(t *testing.T) {
	e := newEnv(t)
	e.role("chaos", canonicalTrust)
	e.front.SetFault("iam:GetRole", Fault{Kind: FaultSlow, Delay: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.getRole(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline", err)
	}
	start := time.Now()
	if err := e.getRole(e.ctx()); err != nil {
		t.Fatalf("a patient client failed: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, want >= 300ms", d)
	}
	e.front.ClearFaults()
	start = time.Now()
	if err := e.getRole(e.ctx()); err != nil || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("after ClearFaults: err %v in %v", err, time.Since(start))
	}
}

func TestFaultOnEveryActionAndOnAssumeRole(t *testing.T) {
	e := newEnv(t)
	e.provider(stsAud)
	roleARN := e.role("chaos", canonicalTrust)
	e.front.SetFault(AnyAction, Fault{Kind: FaultServiceUnavailable})
	e.front.SetFault("sts:AssumeRoleWithWebIdentity", Fault{Kind: FaultThrottling})
	_, err := e.assume(roleARN, e.token(e.saToken(litmusSub)))
	wantAPIError(t, err, "Throttling", "Rate exceeded", http.StatusBadRequest)
	_, err = e.sts.GetCallerIdentity(e.ctx(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ServiceUnavailable", "Service is unavailable", http.StatusServiceUnavailable)
	e.front.ClearFaults()
	if _, err := e.assume(roleARN, e.token(e.saToken(litmusSub))); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

func TestLatencyDelaysEveryCall(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Latency = 120 * time.Millisecond })
	e.role("chaos", canonicalTrust)
	start := time.Now()
	if err := e.getRole(e.ctx()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("call took %v, want >= 120ms", d)
	}
}
