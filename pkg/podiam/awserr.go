package podiam

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// ErrorKind tells a refusal (the set-up is wrong: fail) from a failure to
// get an answer (nothing was verified: error, fail closed).
type ErrorKind int

// Kinds of AWS call errors.
const (
	// KindRefused: AWS answered and said no. The check fails.
	KindRefused ErrorKind = iota
	// KindUnavailable: throttled, 5xx, network or timeout after retries. The check errors.
	KindUnavailable
)

// CallError is an AWS call's failure reduced to what a report may show:
// the operation, AWS's error code and message, the request ID, and whether it
// was a refusal. It never carries request parameters (the token) or credentials.
type CallError struct {
	Operation  string
	Code       string
	Message    string
	RequestID  string
	HTTPStatus int
	Kind       ErrorKind
}

// Error renders "Operation: Code: Message".
func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Refused reports whether AWS answered with a refusal.
func (e *CallError) Refused() bool { return e.Kind == KindRefused }

// refusalCodes are answers that say the request itself is wrong; retrying
// them cannot help.
var refusalCodes = map[string]bool{
	"AccessDenied":                         true,
	"AccessDeniedException":                true,
	"InvalidIdentityToken":                 true,
	"ExpiredTokenException":                true,
	"ExpiredToken":                         true,
	"IDPRejectedClaim":                     true,
	"RegionDisabledException":              true,
	"MalformedPolicyDocument":              true,
	"PackedPolicyTooLarge":                 true,
	"ValidationError":                      true,
	"InvalidClientTokenId":                 true,
	"SignatureDoesNotMatch":                true,
	"InvalidParameterValue":                true,
	"MissingAuthenticationToken":           true,
	"UnrecognizedClientException":          true,
	"InvalidAuthorizationMessageException": true,
}

// Classify turns any error from an SDK call into a CallError: AWS error
// code, message and request ID, and whether it was a refusal.
func Classify(op string, err error) *CallError {
	ce := &CallError{Operation: op, Kind: KindUnavailable}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		ce.RequestID = re.ServiceRequestID()
		ce.HTTPStatus = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	var (
		de *smithy.DeserializationError
		xe *xml.SyntaxError
	)
	switch {
	case errors.As(err, &de) || errors.As(err, &xe):
		ce.Code, ce.Message = "MalformedResponse", "the answer could not be parsed: "+RootMessage(err)
	case errors.As(err, &ae):
		ce.Code, ce.Message = ae.ErrorCode(), ae.ErrorMessage()
		if refusalCodes[ce.Code] {
			ce.Kind = KindRefused
		}
	case errors.Is(err, context.DeadlineExceeded):
		ce.Code, ce.Message = "Timeout", "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		ce.Code, ce.Message = "Canceled", "the run was cancelled"
	default:
		var ne net.Error
		var oe *net.OpError
		switch {
		case errors.As(err, &oe):
			ce.Code, ce.Message = "NetworkError", oe.Error()
		case errors.As(err, &ne) && ne.Timeout():
			ce.Code, ce.Message = "Timeout", ne.Error()
		default:
			ce.Code, ce.Message = "RequestError", RootMessage(err)
		}
	}
	return ce
}

// RootMessage returns the innermost error's message, which for SDK errors is
// the useful part (the outer layers repeat operation and service names).
func RootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
