package podiam

import (
	"errors"
	"net/http"
	"regexp"
)

// EKS Auth's AssumeRoleForPodIdentity error codes, which the Pod Identity
// agent passes on (aws/eks-pod-identity-agent internal/cloud/eksauth/errors.go
// treats the first four as irrecoverable).
const (
	CodeAccessDeniedException       = "AccessDeniedException"
	CodeExpiredTokenException       = "ExpiredTokenException"
	CodeInvalidTokenException       = "InvalidTokenException"
	CodeResourceNotFoundException   = "ResourceNotFoundException"
	CodeInvalidParameterException   = "InvalidParameterException"
	CodeInvalidRequestException     = "InvalidRequestException"
	CodeThrottlingException         = "ThrottlingException"
	CodeInternalServerException     = "InternalServerException"
	CodeServiceUnavailableException = "ServiceUnavailableException"
)

// agentErrorCode finds the EKS Auth code in the real agent's plain-text
// error body ("[request-id]: (AccessDeniedException): message, fault: client",
// aws/eks-pod-identity-agent pkg/errors/errors.go HandleCredentialFetchingError).
var agentErrorCode = regexp.MustCompile(`\(([A-Za-z]+Exception)\)`)

// maxAgentMessage bounds the error text kept from an endpoint's answer.
const maxAgentMessage = 512

// ClassifyContainerCredentials is Classify for the SDK's container
// credentials provider (aws-sdk-go-v2 credentials/endpointcreds), which
// reports the endpoint's answer as an error with an HTTP status and, when the
// body was JSON {"code","message"}, a code: any 4xx but 429 is a refusal (the
// agent or EKS Auth said no), while 429, 5xx, the network and a malformed
// answer are unavailable. A plain-text error body (what the real agent sends)
// gives its code from the "(Code)" it carries.
func ClassifyContainerCredentials(op string, err error) *CallError {
	ce := Classify(op, err)
	var hs interface{ HTTPStatusCode() int }
	if !errors.As(err, &hs) {
		return ce
	}
	ce.HTTPStatus = hs.HTTPStatusCode()
	if len(ce.Message) > maxAgentMessage {
		ce.Message = ce.Message[:maxAgentMessage] + "..."
	}
	if ce.Code == "" {
		if m := agentErrorCode.FindStringSubmatch(ce.Message); m != nil {
			ce.Code = m[1]
		} else {
			ce.Code = http.StatusText(ce.HTTPStatus)
		}
	}
	switch {
	case ce.HTTPStatus == http.StatusTooManyRequests || ce.HTTPStatus >= 500 || ce.Code == CodeThrottlingException:
		ce.Kind = KindUnavailable
	case ce.HTTPStatus >= 400:
		ce.Kind = KindRefused
	}
	return ce
}
