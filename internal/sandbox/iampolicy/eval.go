package iampolicy

import "strings"

// Decision is the outcome of an evaluation, named as IAM's policy simulator
// names it.
type Decision string

// The three outcomes of IAM's evaluation logic.
const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
)

// PrincipalType names a Principal map key.
type PrincipalType string

// The principal types a request can come from.
const (
	PrincipalAWS       PrincipalType = "AWS"
	PrincipalFederated PrincipalType = "Federated"
	PrincipalService   PrincipalType = "Service"
)

// RequestPrincipal is the caller, for policies that name principals (trust and
// other resource policies).
type RequestPrincipal struct {
	Type PrincipalType
	// ID is the principal as a policy names it: for PrincipalFederated the
	// provider ARN (arn:aws:iam::123456789012:oidc-provider/<issuer host+path>).
	ID string
}

// Request is what a policy is evaluated against.
type Request struct {
	// Action, e.g. "sts:AssumeRoleWithWebIdentity". Required.
	Action string
	// Resource ARN. Empty means "*" for identity policies; trust policies
	// ignore it (their resource is the role).
	Resource string
	// Principal, when set, must be admitted by the statement's Principal or
	// NotPrincipal. Nil skips principal matching (identity policies).
	Principal *RequestPrincipal
	Context   Context
}

// Source is one policy in an evaluation, with the names IAM's simulator gives it.
type Source struct {
	// ID is the policy's name (SourcePolicyId).
	ID string
	// Type is IAM's PolicySourceType: "role", "user-managed", "aws-managed", "none", ...
	Type   string
	Policy *Policy
}

// Match is a statement that decided an evaluation.
type Match struct {
	SourceID   string
	SourceType string
	Statement  *Statement
}

// Result is the outcome of an evaluation.
type Result struct {
	Decision Decision
	// Matched are the statements behind the decision: the Deny statements for
	// ExplicitDeny, the Allow statements for Allowed, none for ImplicitDeny.
	Matched []Match
	// MissingKeys are condition keys tested by statements whose action,
	// resource and principal applied but that the request context lacks, as
	// written, without duplicates.
	MissingKeys []string
}

// Allowed reports whether the decision is Allowed.
func (r Result) Allowed() bool { return r.Decision == Allowed }

// Evaluate evaluates one policy.
func (p *Policy) Evaluate(r Request) Result {
	return Evaluate([]Source{{Policy: p}}, r)
}

// Evaluate evaluates policies together with IAM's logic: an explicit Deny in
// any statement wins, else an Allow in any statement allows, else the request
// is implicitly denied. A statement applies when its Action/NotAction covers
// the action, its Resource/NotResource the resource, its Principal/NotPrincipal
// the principal (when the request has one), and every condition holds.
func Evaluate(sources []Source, r Request) Result {
	resource := r.Resource
	if resource == "" {
		resource = "*"
	}
	ctx := r.Context
	if ctx == nil {
		ctx = Context{}
	}
	var allows, denies []Match
	var missing []string
	seen := map[string]bool{}
	for _, src := range sources {
		if src.Policy == nil {
			continue
		}
		for i := range src.Policy.Statements {
			s := &src.Policy.Statements[i]
			if !s.actionApplies(r.Action) || !s.resourceApplies(resource) {
				continue
			}
			if r.Principal != nil && !s.principalApplies(*r.Principal) {
				continue
			}
			for _, k := range s.Keys() {
				if _, ok := ctx.Get(k); !ok && !seen[strings.ToLower(k)] {
					seen[strings.ToLower(k)] = true
					missing = append(missing, k)
				}
			}
			if !s.conditionsHold(ctx) {
				continue
			}
			m := Match{SourceID: src.ID, SourceType: src.Type, Statement: s}
			if s.Effect == EffectDeny {
				denies = append(denies, m)
			} else {
				allows = append(allows, m)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return Result{Decision: ExplicitDeny, Matched: denies, MissingKeys: missing}
	case len(allows) > 0:
		return Result{Decision: Allowed, Matched: allows, MissingKeys: missing}
	default:
		return Result{Decision: ImplicitDeny, MissingKeys: missing}
	}
}

func (s Statement) conditionsHold(ctx Context) bool {
	for _, c := range s.Conditions {
		if !c.Holds(ctx) {
			return false
		}
	}
	return true
}

// principalApplies reports whether the statement admits the principal. A
// statement without Principal or NotPrincipal admits nobody: in a trust policy
// such a statement is invalid and IAM would have refused it.
func (s Statement) principalApplies(rp RequestPrincipal) bool {
	switch {
	case s.Principal != nil:
		return s.Principal.admits(rp)
	case s.NotPrincipal != nil:
		return !s.NotPrincipal.admits(rp)
	default:
		return false
	}
}

// admits reports whether the Principal element names rp. "*" and {"AWS": "*"}
// name everyone; other values are compared exactly (Federated and Service take
// no wildcards in IAM).
func (p *Principal) admits(rp RequestPrincipal) bool {
	if p.Any {
		return true
	}
	for _, v := range p.AWS {
		if v == "*" {
			return true
		}
	}
	var list Values
	switch rp.Type {
	case PrincipalAWS:
		list = p.AWS
	case PrincipalFederated:
		list = p.Federated
	case PrincipalService:
		list = p.Service
	}
	for _, v := range list {
		if v == rp.ID {
			return true
		}
	}
	return false
}
