package iampolicy

import (
	"fmt"
	"strings"
)

// ActionAssumeRoleWithWebIdentity is the action a web identity trust policy must allow.
const ActionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"

// WebIdentity is the request context STS builds for AssumeRoleWithWebIdentity
// with an OIDC token.
type WebIdentity struct {
	// ProviderARN is the IAM OIDC provider's ARN,
	// arn:<partition>:iam::<account>:oidc-provider/<issuer host+path>.
	ProviderARN string
	// Subject is the token's sub claim (<issuer>:sub).
	Subject string
	// Audience is the client ID the token was accepted for: the token audience
	// found in the provider's client-ID list (<issuer>:aud).
	Audience string
	// TokenAudiences are all of the token's aud values (<issuer>:oaud).
	TokenAudiences []string
	// AMR is the token's amr claim, when it has one (<issuer>:amr).
	AMR []string
}

// IssuerKey returns the condition-key prefix of the provider: the issuer URL
// without scheme ("oidc.eks.us-east-1.amazonaws.com/id/ABC"), taken from the
// provider ARN.
func (w WebIdentity) IssuerKey() string {
	_, after, ok := strings.Cut(w.ProviderARN, ":oidc-provider/")
	if !ok {
		return ""
	}
	return after
}

// Context returns the request context: <issuer>:sub, :aud, :oaud, :amr and
// aws:FederatedProvider.
func (w WebIdentity) Context() Context {
	ctx := Context{}
	iss := w.IssuerKey()
	if w.Subject != "" {
		ctx.Set(iss+":sub", w.Subject)
	}
	if w.Audience != "" {
		ctx.Set(iss+":aud", w.Audience)
	}
	if len(w.TokenAudiences) > 0 {
		ctx.Set(iss+":oaud", w.TokenAudiences...)
	}
	if len(w.AMR) > 0 {
		ctx.Set(iss+":amr", w.AMR...)
	}
	ctx.Set("aws:FederatedProvider", w.ProviderARN)
	return ctx
}

// Request returns the evaluation request for AssumeRoleWithWebIdentity.
func (w WebIdentity) Request() Request {
	return Request{
		Action:    ActionAssumeRoleWithWebIdentity,
		Principal: &RequestPrincipal{Type: PrincipalFederated, ID: w.ProviderARN},
		Context:   w.Context(),
	}
}

// EvaluateWebIdentity evaluates a role's trust policy for an
// AssumeRoleWithWebIdentity request.
func EvaluateWebIdentity(trust *Policy, w WebIdentity) Result {
	return Evaluate([]Source{{ID: "trust", Type: "resource", Policy: trust}}, w.Request())
}

// OIDCProviderARN builds arn:<partition>:iam::<account>:oidc-provider/<issuer
// without https:// and trailing slash>.
func OIDCProviderARN(partition, account, issuer string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, IssuerHostPath(issuer))
}

// IssuerHostPath strips the https:// scheme and a trailing slash from an issuer URL.
func IssuerHostPath(issuer string) string {
	s := strings.TrimPrefix(issuer, "https://")
	return strings.TrimSuffix(s, "/")
}
