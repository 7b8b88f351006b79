package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// trustInputs returns what every trust check needs, or the skip result
// naming what is missing.
func trustInputs(f Facts) (podiam.RoleARN, *trustpolicy.PolicyDocument, string, *result) {
	role, ok := f.role()
	switch {
	case !ok || f.Role == nil || !f.Role.Found:
		r := needsCheck(IDIAMRoleExists)
		return role, nil, "", &r
	case f.Role.TrustErr != nil || f.Role.Trust == nil:
		r := skip("the trust policy does not parse" + see(IDTrustPrincipal))
		return role, nil, "", &r
	case f.Issuer.URL == "":
		r := needsCheck(IDClusterOIDCIssuer)
		return role, f.Role.Trust, "", &r
	}
	return role, f.Role.Trust, f.providerARN(), nil
}

// request is the AssumeRoleWithWebIdentity request a pod of ns/sa makes.
func (f Facts) request(provider, ns, sa string) trustpolicy.WebIdentityRequest {
	return trustpolicy.WebIdentityRequest{ProviderARN: provider, Subject: podiam.SubjectPrefix + ns + ":" + sa, Audience: f.Audience}
}

func checkTrustPrincipal(f Facts) result {
	role, ok := f.role()
	if !ok || f.Role == nil || !f.Role.Found {
		return needsCheck(IDIAMRoleExists)
	}
	if err := f.Role.TrustErr; err != nil {
		fix := "rewrite the trust policy as valid JSON"
		if f.Issuer.URL != "" {
			fix = trustRemedy(f, role)
		}
		return fail(fmt.Sprintf("the trust policy of %s is broken: %v", role.Name, err), fix)
	}
	if f.Issuer.URL == "" {
		return needsCheck(IDClusterOIDCIssuer)
	}
	provider := f.providerARN()
	var allow []string
	for _, s := range f.Role.Trust.WebIdentityStatements(provider) {
		if s.Effect == "Allow" {
			allow = append(allow, fmt.Sprint(s.Index))
		}
	}
	if len(allow) > 0 {
		return pass(fmt.Sprintf("statement %s allows %s for %s", strings.Join(allow, ", "), trustpolicy.ActionAssumeRoleWithWebIdentity, provider)).
			With("providerArn", provider)
	}
	var why []string
	for _, l := range trustpolicy.LintTrust(f.Role.Trust, role, f.Issuer.URL) {
		switch l.Code {
		case trustpolicy.LintProviderWrongHostForm, trustpolicy.LintProviderMalformed, trustpolicy.LintProviderPartition, trustpolicy.LintProviderAccount:
			why = append(why, l.String())
		}
	}
	for _, s := range f.Role.Trust.Statements {
		if s.Effect == "Allow" && s.PrincipalApplies(trustpolicy.PrincipalFederated, provider) && !s.ActionApplies(trustpolicy.ActionAssumeRoleWithWebIdentity) {
			why = append(why, fmt.Sprintf("statement %d names the provider but allows %s, not %s", s.Index, strings.Join(s.Actions, ", "), trustpolicy.ActionAssumeRoleWithWebIdentity))
		}
	}
	msg := fmt.Sprintf("no Allow statement of %s's trust policy names %s as Federated principal for %s", role.Name, provider, trustpolicy.ActionAssumeRoleWithWebIdentity)
	if len(why) > 0 {
		msg += ": " + strings.Join(why, "; ")
	}
	return fail(msg, trustRemedy(f, role)).With("providerArn", provider)
}

// describeBlocked explains why Allow statements did not admit a request.
func describeBlocked(blocked []trustpolicy.BlockedStatement) string {
	var parts []string
	for _, b := range blocked {
		var conds []string
		for _, c := range b.Failed {
			conds = append(conds, fmt.Sprintf("%s %v", c.Label(), c.Values))
		}
		parts = append(parts, fmt.Sprintf("statement %d requires %s", b.Index, strings.Join(conds, " and ")))
	}
	return strings.Join(parts, "; ")
}

func checkTrustSubject(f Facts) result {
	role, doc, provider, skipped := trustInputs(f)
	if skipped != nil {
		return *skipped
	}
	d := trustpolicy.EvaluateTrust(doc, f.request(provider, f.Namespace, f.ServiceAccount))
	switch d.Decision {
	case trustpolicy.DecisionAllow:
		return pass(fmt.Sprintf("statement %s admits %s (audience %s)", joinInts(d.AllowedBy), f.subject(), f.Audience)).With("decision", d.Decision)
	case trustpolicy.DecisionExplicitDeny:
		return fail(fmt.Sprintf("statement %s of %s's trust policy denies %s: a Deny wins over any Allow", joinInts(d.DeniedBy), role.Name, f.subject()),
			fmt.Sprintf("remove or narrow the Deny statement %s; %s", joinInts(d.DeniedBy), trustRemedy(f, role))).With("decision", d.Decision)
	}
	msg := fmt.Sprintf("STS would refuse %s (AccessDenied): ", f.subject())
	if len(d.Blocked) == 0 {
		msg += "no statement allows the provider to assume the role" + see(IDTrustPrincipal)
	} else {
		msg += describeBlocked(d.Blocked)
	}
	return fail(msg, trustRemedy(f, role)).With("decision", d.Decision)
}

func checkTrustSubjectScoped(f Facts) result {
	role, doc, provider, skipped := trustInputs(f)
	if skipped != nil {
		return *skipped
	}
	for _, l := range trustpolicy.LintTrust(doc, role, f.Issuer.URL) {
		if l.Code == trustpolicy.LintNoSubjectCondition {
			return fail(fmt.Sprintf("statement %d of %s's trust policy has no sub condition: every ServiceAccount of the cluster can assume the role", l.Statement, role.Name),
				trustRemedy(f, role))
		}
	}
	if d := trustpolicy.EvaluateTrust(doc, f.request(provider, probeNamespace, probeSA)); d.Allowed() {
		return fail(fmt.Sprintf("statement %s of %s's trust policy also admits %s%s:%s: any ServiceAccount of the cluster can assume the role",
			joinInts(d.AllowedBy), role.Name, podiam.SubjectPrefix, probeNamespace, probeSA), trustRemedy(f, role))
	}
	if d := trustpolicy.EvaluateTrust(doc, f.request(provider, f.Namespace, probeSA)); d.Allowed() {
		return warn(fmt.Sprintf("statement %s of %s's trust policy admits every ServiceAccount of namespace %s, not only %s",
			joinInts(d.AllowedBy), role.Name, f.Namespace, f.ServiceAccount), trustRemedy(f, role))
	}
	return pass("the trust policy admits named ServiceAccounts only")
}

func checkTrustAudience(f Facts) result {
	role, doc, provider, skipped := trustInputs(f)
	if skipped != nil {
		return *skipped
	}
	key := podiam.IssuerHost(f.Issuer.URL) + ":aud"
	d := trustpolicy.EvaluateTrust(doc, f.request(provider, f.Namespace, f.ServiceAccount))
	for _, b := range d.Blocked {
		for _, c := range b.Failed {
			if strings.EqualFold(c.Key, key) {
				return fail(fmt.Sprintf("statement %d requires %s %v but the ServiceAccount's tokens are for %s", b.Index, c.Label(), c.Values, f.Audience),
					fmt.Sprintf("set %q to %q in the condition, or annotate the ServiceAccount with %s=<audience> the provider lists; %s",
						key, f.Audience, podiam.AnnotationAudience, trustRemedy(f, role)))
			}
		}
	}
	var stmts []trustpolicy.PolicyStatement
	if d.Allowed() {
		for _, s := range doc.Statements {
			if slices.Contains(d.AllowedBy, s.Index) {
				stmts = append(stmts, s)
			}
		}
	} else {
		for _, s := range doc.WebIdentityStatements(provider) {
			if s.Effect == "Allow" {
				stmts = append(stmts, s)
			}
		}
	}
	if len(stmts) == 0 {
		return skip("no statement admits the provider" + see(IDTrustPrincipal))
	}
	for _, s := range stmts {
		if len(s.ConditionsOn(key)) == 0 {
			return warn(fmt.Sprintf("statement %d has no %s condition: tokens minted for any audience the provider accepts can assume %s", s.Index, key, role.Name),
				fmt.Sprintf("add \"StringEquals\": {%q: %q} to the statement; %s", key, f.Audience, trustRemedy(f, role)))
		}
	}
	return pass(fmt.Sprintf("the %s condition admits %s", key, f.Audience))
}

func checkTrustOperators(f Facts) result {
	role, ok := f.role()
	if !ok || f.Role == nil || !f.Role.Found || f.Role.Trust == nil {
		return needsCheck(IDTrustPrincipal)
	}
	var problems []string
	for _, l := range trustpolicy.LintTrust(f.Role.Trust, role, f.Issuer.URL) {
		if l.Code == trustpolicy.LintWildcardWithoutLike || l.Code == trustpolicy.LintForeignIssuerKey {
			problems = append(problems, l.String())
		}
	}
	if len(problems) == 0 {
		return pass("no wildcard under a non-Like operator, no condition key for another issuer")
	}
	fix := "use StringLike for patterns and the cluster's own issuer in condition keys"
	if f.Issuer.URL != "" {
		fix += "; " + trustRemedy(f, role)
	}
	return fail(strings.Join(problems, "; "), fix)
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}
