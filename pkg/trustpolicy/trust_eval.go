package trustpolicy

import (
	"strings"
)

// ActionAssumeRoleWithWebIdentity is the action IRSA trust policies allow.
const ActionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"

// Trust decisions.
const (
	DecisionAllow        = "Allow"
	DecisionExplicitDeny = "ExplicitDeny"
	DecisionImplicitDeny = "ImplicitDeny"
)

// WebIdentityRequest is what STS evaluates a role's trust policy against for
// AssumeRoleWithWebIdentity with an OIDC token: the provider as Federated
// principal and the token's claims as condition keys.
type WebIdentityRequest struct {
	// ProviderARN is arn:<partition>:iam::<account>:oidc-provider/<issuer host and path>.
	ProviderARN string
	// Subject is the token's sub (key <issuer>:sub).
	Subject string
	// Audience is the client ID the token was accepted for (key <issuer>:aud).
	Audience string
	// TokenAudiences are all of the token's aud values (key <issuer>:oaud);
	// default: Audience alone.
	TokenAudiences []string
}

// IssuerKey is the condition-key prefix of the request's provider: the
// issuer URL without scheme, as in the provider ARN.
func (r WebIdentityRequest) IssuerKey() string {
	_, host, _ := strings.Cut(r.ProviderARN, ":oidc-provider/")
	return host
}

// Context returns the request context STS builds: <issuer>:sub, <issuer>:aud,
// <issuer>:oaud and aws:FederatedProvider.
func (r WebIdentityRequest) Context() RequestContext {
	ctx := RequestContext{}
	iss := r.IssuerKey()
	if r.Subject != "" {
		ctx.Set(iss+":sub", r.Subject)
	}
	if r.Audience != "" {
		ctx.Set(iss+":aud", r.Audience)
	}
	oaud := r.TokenAudiences
	if len(oaud) == 0 && r.Audience != "" {
		oaud = []string{r.Audience}
	}
	if len(oaud) > 0 {
		ctx.Set(iss+":oaud", oaud...)
	}
	ctx.Set("aws:FederatedProvider", r.ProviderARN)
	return ctx
}

// TrustDecision is the outcome of evaluating a trust policy for a request.
type TrustDecision struct {
	// Decision is DecisionAllow, DecisionExplicitDeny or DecisionImplicitDeny.
	Decision string
	// AllowedBy lists the Allow statements that matched; DeniedBy the Deny
	// statements that did (a Deny beats any Allow).
	AllowedBy []int
	DeniedBy  []int
	// Blocked lists the Allow statements that name the principal and the
	// action but whose conditions did not all hold, with the failing ones.
	Blocked []BlockedStatement
}

// Allowed reports whether STS would let the request assume the role.
func (d TrustDecision) Allowed() bool { return d.Decision == DecisionAllow }

// BlockedStatement is an Allow statement for the right principal and action
// that the request's condition keys did not satisfy.
type BlockedStatement struct {
	Index  int
	Failed []PolicyCondition
}

// EvaluateTrust evaluates a trust policy for an AssumeRoleWithWebIdentity
// request with IAM's rules: a statement applies when its principal, action
// and every condition match; an applicable Deny wins; otherwise an applicable
// Allow allows; otherwise the request is implicitly denied.
func EvaluateTrust(p *PolicyDocument, r WebIdentityRequest) TrustDecision {
	return evaluate(p, PrincipalFederated, r.ProviderARN, ActionAssumeRoleWithWebIdentity, r.Context())
}

// evaluate decides one action by one principal with IAM's rules, over the
// request context ctx: EvaluateTrust and EvaluatePodIdentityTrust share it.
func evaluate(p *PolicyDocument, principalType, principal, action string, ctx RequestContext) TrustDecision {
	d := TrustDecision{Decision: DecisionImplicitDeny}
	if p == nil {
		return d
	}
	for _, s := range p.Statements {
		if !s.PrincipalApplies(principalType, principal) || !s.ActionApplies(action) {
			continue
		}
		failed := s.FailedConditions(ctx)
		switch {
		case len(failed) == 0 && s.Effect == "Deny":
			d.DeniedBy = append(d.DeniedBy, s.Index)
		case len(failed) == 0:
			d.AllowedBy = append(d.AllowedBy, s.Index)
		case s.Effect == "Allow":
			d.Blocked = append(d.Blocked, BlockedStatement{Index: s.Index, Failed: failed})
		}
	}
	switch {
	case len(d.DeniedBy) > 0:
		d.Decision = DecisionExplicitDeny
	case len(d.AllowedBy) > 0:
		d.Decision = DecisionAllow
	}
	return d
}

// Principal types.
const (
	PrincipalFederated = "Federated"
	PrincipalAWS       = "AWS"
	PrincipalService   = "Service"
)

// PrincipalApplies reports whether the statement's Principal (or
// NotPrincipal) covers a principal of the given type and ID.
func (s PolicyStatement) PrincipalApplies(typ, id string) bool {
	switch {
	case s.Principal != nil:
		return s.Principal.names(typ, id)
	case s.NotPrincipal != nil:
		return !s.NotPrincipal.names(typ, id)
	}
	return false
}

// names reports whether the element names the principal: "*" and
// {"AWS": "*"} name everyone; other values compare exactly (IAM takes no
// wildcards in Federated and Service principals).
func (p *Principals) names(typ, id string) bool {
	if p.Any {
		return true
	}
	for _, v := range p.ByType[PrincipalAWS] {
		if v == "*" {
			return true
		}
	}
	for _, v := range p.ByType[typ] {
		if v == id {
			return true
		}
	}
	return false
}

// ActionApplies reports whether the statement's Action (or NotAction) covers
// the action; action names and patterns are case-insensitive.
func (s PolicyStatement) ActionApplies(action string) bool {
	hit := false
	for _, a := range s.Actions {
		if WildcardMatch(a, action, true) {
			hit = true
			break
		}
	}
	return hit != s.HasNotAction
}

// FailedConditions returns the statement's conditions that do not hold in ctx.
func (s PolicyStatement) FailedConditions(ctx RequestContext) []PolicyCondition {
	var out []PolicyCondition
	for _, c := range s.Conditions {
		if !c.Holds(ctx) {
			out = append(out, c)
		}
	}
	return out
}

// ConditionsOn returns the statement's conditions on key (case-insensitive).
func (s PolicyStatement) ConditionsOn(key string) []PolicyCondition {
	var out []PolicyCondition
	for _, c := range s.Conditions {
		if strings.EqualFold(c.Key, key) {
			out = append(out, c)
		}
	}
	return out
}

// WebIdentityStatements returns the statements that name the provider as a
// principal for sts:AssumeRoleWithWebIdentity, in document order.
func (p *PolicyDocument) WebIdentityStatements(providerARN string) []PolicyStatement {
	if p == nil {
		return nil
	}
	var out []PolicyStatement
	for _, s := range p.Statements {
		if s.PrincipalApplies(PrincipalFederated, providerARN) && s.ActionApplies(ActionAssumeRoleWithWebIdentity) {
			out = append(out, s)
		}
	}
	return out
}
