package trustpolicy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// Trust-policy lint codes. WILDCARD_WITHOUT_LIKE_OPERATOR is AWS IAM Access
// Analyzer's name for the same finding.
const (
	LintWildcardWithoutLike   = "WILDCARD_WITHOUT_LIKE_OPERATOR"
	LintNoSubjectCondition    = "NO_SUBJECT_CONDITION"
	LintForeignIssuerKey      = "CONDITION_KEY_FOR_ANOTHER_ISSUER"
	LintProviderWrongHostForm = "PROVIDER_WRONG_HOST_FORM"
	LintProviderMalformed     = "PROVIDER_ARN_MALFORMED"
	LintProviderPartition     = "PROVIDER_PARTITION_MISMATCH"
	LintProviderAccount       = "PROVIDER_ACCOUNT_MISMATCH"
)

// TrustFinding is one problem in a trust policy. Severity is StatusFail for
// problems that make a statement behave otherwise than its author meant, and
// StatusWarn for risky but working constructs.
type TrustFinding struct {
	Code      string
	Severity  report.Status
	Statement int
	Message   string
}

// String renders the finding as "statement N: message (CODE)".
func (f TrustFinding) String() string {
	return fmt.Sprintf("statement %d: %s (%s)", f.Statement, f.Message, f.Code)
}

var (
	// providerARNRe splits arn:<partition>:iam::<account>:oidc-provider/<host/path>.
	providerARNRe = regexp.MustCompile(`^arn:([^:]*):iam::([^:]*):oidc-provider/(.+)$`)
	// swappedHostRe finds the wrong EKS issuer host form oidc.<region>.eks.amazonaws.com[.cn].
	swappedHostRe = regexp.MustCompile(`^oidc\.([a-z]{2}(?:-[a-z]+)+-\d+)\.eks\.(amazonaws\.com(?:\.cn)?)(/.*)?$`)
	// claimKeyRe matches an OIDC condition key <host/path>:<claim>.
	claimKeyRe = regexp.MustCompile(`^([^:]+\.[^:]+):([A-Za-z_]+)$`)
)

// ProviderARNParts splits an IAM OIDC provider ARN into partition, account
// and issuer host (with path); ok is false when s is not such an ARN.
func ProviderARNParts(s string) (partition, account, host string, ok bool) {
	m := providerARNRe.FindStringSubmatch(s)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// CorrectIssuerHost returns the EKS issuer host form for a host written as
// oidc.<region>.eks.amazonaws.com/id/X (the right form is
// oidc.eks.<region>.amazonaws.com/id/X), and whether host was in the wrong form.
func CorrectIssuerHost(host string) (string, bool) {
	m := swappedHostRe.FindStringSubmatch(host)
	if m == nil {
		return host, false
	}
	return "oidc.eks." + m[1] + "." + m[2] + m[3], true
}

// LintTrust finds the trust-policy mistakes that break or weaken IRSA in the
// statements that allow or deny sts:AssumeRoleWithWebIdentity: wildcards
// under a non-Like string operator (literal in IAM), Allow statements
// without a sub condition (any ServiceAccount of the cluster may assume the
// role), condition keys for another issuer than the statement's provider,
// Federated provider ARNs with the wrong EKS host form, a trailing slash or
// scheme, an unknown partition, or another partition or account than the
// role's. issuer may be empty (then issuer-specific findings are skipped);
// role may be the zero value (then partition and account are not compared).
func LintTrust(p *PolicyDocument, role podiam.RoleARN, issuer string) []TrustFinding {
	if p == nil {
		return nil
	}
	var out []TrustFinding
	add := func(s PolicyStatement, code string, sev report.Status, format string, args ...any) {
		out = append(out, TrustFinding{Code: code, Severity: sev, Statement: s.Index, Message: fmt.Sprintf(format, args...)})
	}
	wantHost := strings.ToLower(podiam.IssuerHost(issuer))
	for _, s := range p.Statements {
		if !s.ActionApplies(ActionAssumeRoleWithWebIdentity) {
			continue
		}
		for _, c := range s.Conditions {
			if !c.Operator.IsString() || c.Operator.IsLike() {
				continue
			}
			for _, v := range c.Values {
				if hasWildcard(v) {
					add(s, LintWildcardWithoutLike, report.StatusFail,
						"%s compares %q literally: IAM expands * and ? only under StringLike/StringNotLike", c.Label(), v)
				}
			}
		}
		hosts := map[string]bool{}
		for _, fed := range s.Principal.Federated() {
			part, acct, host, ok := ProviderARNParts(fed)
			if !ok {
				if !strings.Contains(fed, "oidc-provider") {
					continue // SAML or a web identity provider such as cognito-identity.amazonaws.com
				}
				add(s, LintProviderMalformed, report.StatusFail, "Federated %q is not an IAM OIDC provider ARN (arn:<partition>:iam::<account>:oidc-provider/<issuer host>)", fed)
				continue
			}
			hosts[strings.ToLower(podiam.IssuerHost(strings.TrimPrefix(host, "http://")))] = true
			out = append(out, lintProvider(s, fed, part, acct, host, role, wantHost)...)
		}
		if len(hosts) > 0 {
			out = append(out, lintKeys(s, hosts, wantHost)...)
		}
		if s.Effect == "Allow" && len(hosts) > 0 && !hasSubCondition(s) {
			add(s, LintNoSubjectCondition, report.StatusFail,
				"allows %s for %s without a condition on <issuer>:sub: every ServiceAccount of the cluster can assume the role",
				ActionAssumeRoleWithWebIdentity, strings.Join(s.Principal.Federated(), ", "))
		}
	}
	return out
}

// lintProvider checks one Federated OIDC provider ARN.
func lintProvider(s PolicyStatement, fed, part, acct, host string, role podiam.RoleARN, wantHost string) []TrustFinding {
	var out []TrustFinding
	add := func(code string, format string, args ...any) {
		out = append(out, TrustFinding{Code: code, Severity: report.StatusFail, Statement: s.Index, Message: fmt.Sprintf(format, args...)})
	}
	if fixed, wrong := CorrectIssuerHost(host); wrong {
		add(LintProviderWrongHostForm, "Federated %q uses the host form oidc.<region>.eks...; EKS issuers are oidc.eks.<region>.amazonaws.com: use arn:%s:iam::%s:oidc-provider/%s",
			fed, part, acct, fixed)
	}
	switch {
	case strings.HasPrefix(host, "https://") || strings.HasPrefix(host, "http://"):
		add(LintProviderMalformed, "Federated %q includes the URL scheme; IAM names providers by host and path only", fed)
	case strings.HasSuffix(host, "/"):
		add(LintProviderMalformed, "Federated %q ends with '/'; IAM names providers without a trailing slash", fed)
	}
	if !podiam.KnownPartition(part) {
		add(LintProviderPartition, "Federated %q has unknown partition %q (want aws, aws-cn or aws-us-gov)", fed, part)
	} else if role.Partition != "" && part != role.Partition {
		add(LintProviderPartition, "Federated %q is in partition %s but the role is in %s", fed, part, role.Partition)
	}
	if role.Account != "" && acct != role.Account && (wantHost == "" || strings.EqualFold(host, wantHost)) {
		add(LintProviderAccount, "Federated %q is in account %s, but STS looks for the provider in the role's account %s", fed, acct, role.Account)
	}
	return out
}

// lintKeys finds OIDC condition keys naming an issuer that none of the
// statement's providers is for: STS never sets them for these tokens, so a
// positive condition on them never holds.
func lintKeys(s PolicyStatement, hosts map[string]bool, wantHost string) []TrustFinding {
	var out []TrustFinding
	for _, c := range s.Conditions {
		m := claimKeyRe.FindStringSubmatch(c.Key)
		if m == nil || strings.HasPrefix(strings.ToLower(c.Key), "aws:") {
			continue
		}
		keyHost := strings.ToLower(m[1])
		if hosts[keyHost] {
			continue
		}
		msg := fmt.Sprintf("%s names issuer %s, but the statement trusts %s: STS never sets that key for these tokens",
			c.Label(), m[1], strings.Join(s.Principal.Federated(), ", "))
		if fixed, wrong := CorrectIssuerHost(keyHost); wrong && hosts[fixed] {
			msg = fmt.Sprintf("%s uses the host form oidc.<region>.eks...: write %s:%s", c.Label(), fixed, m[2])
		} else if wantHost != "" && hosts[wantHost] {
			msg += fmt.Sprintf(" (this cluster's key is %s:%s)", wantHost, m[2])
		}
		out = append(out, TrustFinding{Code: LintForeignIssuerKey, Severity: report.StatusFail, Statement: s.Index, Message: msg})
	}
	return out
}

// hasSubCondition reports whether the statement tests some <issuer>:sub key.
func hasSubCondition(s PolicyStatement) bool {
	for _, c := range s.Conditions {
		if strings.HasSuffix(strings.ToLower(c.Key), ":sub") && !strings.HasPrefix(strings.ToLower(c.Key), "aws:") {
			return true
		}
	}
	return false
}
