package trustpolicy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// Pod Identity trust-policy lint codes.
const (
	// LintPodIdentityPrincipal: no Allow statement names the service
	// principal pods.eks.amazonaws.com for sts:AssumeRole (a Federated OIDC
	// provider, another service such as ec2.amazonaws.com, or an AWS principal
	// is named instead).
	LintPodIdentityPrincipal = "POD_IDENTITY_PRINCIPAL_MISSING"
	// LintPodIdentityNoTagSession: the service principal may assume the
	// role but not tag the session; EKS Auth always tags it, so STS refuses.
	LintPodIdentityNoTagSession = "POD_IDENTITY_NO_TAG_SESSION"
	// LintPodIdentityTagMismatch: a condition on a session tag, the source
	// account or the source ARN names another namespace, ServiceAccount or
	// cluster than the request's.
	LintPodIdentityTagMismatch = "POD_IDENTITY_CONDITION_MISMATCH"
)

// podIdentityKeys are the condition keys whose values the request fixes:
// a condition on them that does not hold names another subject or cluster.
var podIdentityKeys = []string{
	"aws:RequestTag/" + podiam.TagNamespace, "aws:RequestTag/" + podiam.TagServiceAccount,
	"aws:RequestTag/" + podiam.TagClusterARN, "aws:RequestTag/" + podiam.TagClusterName,
	"aws:SourceAccount", "aws:SourceArn",
}

// LintPodIdentityTrust names the mistakes that make STS refuse EKS Pod
// Identity, or make the trust mean something else than meant, for the
// request r: no statement for the service principal (another principal
// named instead), sts:AssumeRole without sts:TagSession, conditions on the
// session tags or the source naming another namespace, ServiceAccount or
// cluster, and wildcards under a non-Like string operator.
func LintPodIdentityTrust(p *PolicyDocument, r PodIdentityRequest) []TrustFinding {
	if p == nil {
		return nil
	}
	var out []TrustFinding
	add := func(s PolicyStatement, code, format string, args ...any) {
		out = append(out, TrustFinding{Code: code, Severity: report.StatusFail, Statement: s.Index, Message: fmt.Sprintf(format, args...)})
	}
	svc := podiam.PodIdentityService
	var assume, tag []PolicyStatement
	for _, s := range p.Statements {
		if s.Effect != "Allow" || !s.PrincipalApplies(PrincipalService, svc) {
			continue
		}
		if s.ActionApplies(podiam.ActionAssumeRole) {
			assume = append(assume, s)
		}
		if s.ActionApplies(podiam.ActionTagSession) {
			tag = append(tag, s)
		}
	}
	if len(assume) == 0 {
		for _, s := range p.Statements {
			if s.Effect == "Allow" && (s.ActionApplies(podiam.ActionAssumeRole) || s.ActionApplies(ActionAssumeRoleWithWebIdentity)) {
				add(s, LintPodIdentityPrincipal, "allows %s for %s, not for {\"Service\": %q}: EKS Pod Identity cannot assume the role",
					strings.Join(s.Actions, ", "), principalNames(s), svc)
			}
		}
		if len(out) == 0 {
			out = append(out, TrustFinding{Code: LintPodIdentityPrincipal, Severity: report.StatusFail, Statement: -1,
				Message: fmt.Sprintf("no statement allows %s for {\"Service\": %q}", podiam.ActionAssumeRole, svc)})
		}
	}
	if len(assume) > 0 && len(tag) == 0 && !r.NoSessionTags {
		for _, s := range assume {
			add(s, LintPodIdentityNoTagSession, "allows %s for %s but no statement allows %s: EKS Pod Identity tags every session, so STS refuses (AccessDenied)",
				podiam.ActionAssumeRole, svc, podiam.ActionTagSession)
		}
	}
	ctx := r.Context()
	for _, s := range append(assume, tag...) {
		for _, c := range s.Conditions {
			if c.Operator.IsString() && !c.Operator.IsLike() && anyWildcard(c.Values) {
				add(s, LintWildcardWithoutLike, "%s compares %v literally: IAM expands * and ? only under StringLike/StringNotLike", c.Label(), c.Values)
			}
			if !isPodIdentityKey(c.Key) || c.Holds(ctx) {
				continue
			}
			got, known := ctx.Values(c.Key)
			if !known {
				continue // the request's value is unknown here: nothing to compare
			}
			add(s, LintPodIdentityTagMismatch, "%s %v does not admit %s (this cluster's, namespace's or ServiceAccount's value)",
				c.Label(), c.Values, strings.Join(got, ","))
		}
	}
	return dedupeFindings(out)
}

func isPodIdentityKey(k string) bool {
	for _, pk := range podIdentityKeys {
		if strings.EqualFold(k, pk) {
			return true
		}
	}
	return false
}

func anyWildcard(vs []string) bool {
	for _, v := range vs {
		if hasWildcard(v) {
			return true
		}
	}
	return false
}

// principalNames renders a statement's principals as `Federated X, Service Y`.
func principalNames(s PolicyStatement) string {
	p := s.Principal
	switch {
	case p == nil && s.NotPrincipal != nil:
		return "every principal but some (NotPrincipal)"
	case p == nil:
		return "no principal"
	case p.Any:
		return "\"*\""
	}
	var out []string
	for typ, vs := range p.ByType {
		for _, v := range vs {
			out = append(out, typ+" "+v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// dedupeFindings drops repeats (a statement allowing both actions is
// visited twice).
func dedupeFindings(in []TrustFinding) []TrustFinding {
	seen := map[TrustFinding]bool{}
	var out []TrustFinding
	for _, f := range in {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
