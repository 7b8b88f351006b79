package preflight

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// Names of the subject and the objects a preflight remedy names.
func (f Facts) subject() string {
	return podiam.SubjectPrefix + f.Namespace + ":" + f.ServiceAccount
}

func (f Facts) clusterName() string { return orPlaceholder(f.Cluster, "<cluster>") }

// role returns the annotated role, when the annotation is a valid role ARN.
func (f Facts) role() (podiam.RoleARN, bool) {
	if !f.SA.HasRoleAnnotation {
		return podiam.RoleARN{}, false
	}
	r, err := podiam.ParseRoleARN(f.SA.RoleARN)
	return r, err == nil
}

// grantedRole is the role whose permissions the faults use: the annotated
// role, or — for a ServiceAccount that gets its role through EKS Pod Identity
// alone — the associated one. roleCheck is the check that says whether it
// exists.
func (f Facts) grantedRole() (role podiam.RoleARN, roleCheck string, ok bool) {
	if r, ok := f.role(); ok {
		return r, IDIAMRoleExists, true
	}
	if m := f.mechanisms(); m.podIdentityOnly() && m.assoc.RoleARN != "" {
		r, err := podiam.ParseRoleARN(m.assoc.RoleARN)
		return r, IDPodIdentityAssociation, err == nil
	}
	return podiam.RoleARN{}, IDIAMRoleExists, false
}

// providerARN is the IAM OIDC provider the trust policy must name: the one
// for the issuer in the role's account.
func (f Facts) providerARN() string {
	r, ok := f.role()
	if !ok || f.Issuer.URL == "" {
		return ""
	}
	return podiam.ProviderARN(r, f.Issuer.URL)
}

// unavailable turns a call that got no usable answer into an error result:
// nothing was verified. A refusal of preflight's own call (AccessDenied for
// the caller) also verifies nothing.
func unavailable(e *podiam.CallError, what, fix string) result {
	return errored(fmt.Sprintf("could not %s: %s", what, e.Error()), fix).
		With("errorCode", e.Code).With("requestId", e.RequestID)
}

func checkClusterIssuer(f Facts) result {
	is := f.Issuer
	switch {
	case is.Err != nil && is.Err.Code == "ResourceNotFoundException":
		return fail(fmt.Sprintf("eks:DescribeCluster: no cluster named %s in this account and region (%s)", f.clusterName(), is.Err.Message),
			"check --cluster and AWS_REGION (aws eks list-clusters), or pass the issuer with --issuer")
	case is.Err != nil:
		return unavailable(is.Err, "describe cluster "+f.clusterName(),
			"grant the caller eks:DescribeCluster, or pass the issuer with --issuer (aws eks describe-cluster --name "+
				f.clusterName()+" --query cluster.identity.oidc.issuer --output text)")
	case is.URL == "" && is.Problem != "":
		return errored("the cluster's OIDC issuer is unknown: "+is.Problem,
			"pass --cluster NAME (eks:DescribeCluster) or --issuer https://oidc.eks.<region>.amazonaws.com/id/<id>")
	case is.URL == "":
		return errored("the cluster's OIDC issuer is unknown", "pass --cluster NAME or --issuer URL")
	}
	u, err := url.Parse(is.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fail(fmt.Sprintf("issuer %q (from %s) is not an https URL: IAM OIDC providers need one", is.URL, is.Source),
			"use the issuer exactly as aws eks describe-cluster --name "+f.clusterName()+" --query cluster.identity.oidc.issuer reports it")
	}
	r := pass(fmt.Sprintf("issuer %s (from %s)", is.URL, is.Source)).With("issuer", is.URL).With("source", is.Source)
	if fixed, wrong := trustpolicy.CorrectIssuerHost(podiam.IssuerHost(is.URL)); wrong {
		return warn(fmt.Sprintf("issuer %s uses the host form oidc.<region>.eks...; EKS issuers read https://%s", is.URL, fixed),
			"pass the issuer exactly as eks:DescribeCluster reports it").With("issuer", is.URL)
	}
	return r
}

func checkOIDCProvider(f Facts) result {
	if f.Issuer.URL == "" {
		return needsCheck(IDClusterOIDCIssuer)
	}
	p := f.Providers
	if p == nil {
		return skip("IAM OIDC providers were not read")
	}
	if p.ListErr != nil {
		return unavailable(p.ListErr, "list IAM OIDC providers", "grant the caller iam:ListOpenIDConnectProviders and retry")
	}
	if p.Match != "" {
		return pass("IAM OIDC provider "+p.Match+" exists").With("providerArn", p.Match)
	}
	want := "arn:<partition>:iam::<account>:oidc-provider/" + podiam.IssuerHost(f.Issuer.URL)
	if arn := f.providerARN(); arn != "" {
		want = arn
	}
	msg := fmt.Sprintf("no IAM OIDC provider %s: STS will refuse every token of this cluster (InvalidIdentityToken)", want)
	if len(p.Near) > 0 {
		msg += "; near misses: " + strings.Join(p.Near, ", ")
	}
	fix := fmt.Sprintf("eksctl utils associate-iam-oidc-provider --cluster %s --approve "+
		"(or: aws iam create-open-id-connect-provider --url %s --client-id-list %s)", f.clusterName(), f.Issuer.URL, f.Audience)
	return fail(msg, fix).With("expectedProviderArn", want)
}

func checkOIDCAudience(f Facts) result {
	p := f.Providers
	if p == nil || p.Match == "" {
		return needsCheck(IDIAMOIDCProvider)
	}
	if p.GetErr != nil {
		return unavailable(p.GetErr, "read IAM OIDC provider "+p.Match, "grant the caller iam:GetOpenIDConnectProvider and retry")
	}
	ids := strings.Join(p.ClientIDs, ",")
	if slices.Contains(p.ClientIDs, f.Audience) {
		return pass(fmt.Sprintf("provider client IDs [%s] hold %s", ids, f.Audience)).With("clientIds", ids)
	}
	return fail(fmt.Sprintf("provider %s lists client IDs [%s], not the ServiceAccount's audience %s: STS refuses its tokens (InvalidIdentityToken: Incorrect token audience)",
		p.Match, ids, f.Audience),
		fmt.Sprintf("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s", p.Match, f.Audience)).
		With("clientIds", ids)
}

func checkRoleExists(f Facts) result {
	role, ok := f.role()
	if !ok {
		return needsCheck(IDSARoleAnnotation)
	}
	rf := f.Role
	switch {
	case rf == nil:
		return skip("the role was not read")
	case rf.Err != nil:
		return unavailable(rf.Err, "read role "+role.Name, "grant the caller iam:GetRole on "+role.String()+" and retry")
	case !rf.Found:
		fix := "create the role and attach the faults' policies"
		if f.Issuer.URL != "" {
			fix = fmt.Sprintf("aws iam create-role --role-name %s --assume-role-policy-document '%s'", role.Name, trustDocument(f, role))
			if role.Path != "/" {
				fix = fmt.Sprintf("aws iam create-role --path %s --role-name %s --assume-role-policy-document '%s'", role.Path, role.Name, trustDocument(f, role))
			}
		}
		return fail(fmt.Sprintf("role %s does not exist (iam:GetRole: NoSuchEntity)", role.String()), fix)
	case rf.ActualARN != "" && rf.ActualARN != role.String():
		// STS resolves the whole ARN, path included (sources in the sandbox
		// front's internal/sandbox/stsfront/arn.go): the token would be refused.
		return fail(fmt.Sprintf("the annotation names %s, but role %s has the ARN %s: STS matches the path too and refuses the token (AccessDenied)",
			role.String(), role.Name, rf.ActualARN), f.annotateCommand(f.Namespace, rf.ActualARN)).With("roleArn", rf.ActualARN)
	}
	return pass("role "+role.String()+" exists").With("roleArn", role.String())
}

// trustDocument is a trust policy holding exactly the statement for the subject.
func trustDocument(f Facts, role podiam.RoleARN) string {
	return `{"Version":"2012-10-17","Statement":[` + podiam.TrustStatement(role, f.Issuer.URL, f.Namespace, f.ServiceAccount, f.Audience) + `]}`
}

// trustRemedy is the command that installs the corrected trust policy.
func trustRemedy(f Facts, role podiam.RoleARN) string {
	return fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document '%s' "+
		"(this trust policy admits exactly %s; it replaces the current one, so merge in any other statement you still need)",
		role.Name, trustDocument(f, role), f.subject())
}

func checkPermissions(f Facts) result {
	if len(f.Faults) == 0 {
		return skip("no fault selected: pass --fault NAME (or --experiment NAME) to check the actions it needs")
	}
	role, roleCheck, ok := f.grantedRole()
	if !ok || f.Role == nil || !f.Role.Found {
		return needsCheck(roleCheck)
	}
	p := f.Permissions
	switch {
	case p == nil:
		return skip("permissions were not simulated")
	case p.Err != nil:
		return unavailable(p.Err, "simulate the role's policies", "grant the caller iam:SimulatePrincipalPolicy on "+role.String()+" and retry")
	}
	decision := map[string]string{}
	for _, a := range p.Actions {
		decision[a.Action] = a.Decision
	}
	var missing, lines []string
	for _, flt := range f.Faults {
		var lack []string
		for _, a := range flt.Actions {
			if decision[a] != "allowed" {
				lack = append(lack, a+" ("+orPlaceholder(decision[a], "not simulated")+")")
				if !slices.Contains(missing, a) {
					missing = append(missing, a)
				}
			}
		}
		if len(lack) > 0 {
			lines = append(lines, flt.Name+" lacks "+strings.Join(lack, ", "))
		}
	}
	names := faultNames(f.Faults)
	how := ""
	if f.FaultsInferred {
		how = " (faults read from the namespace's chaos experiments)"
	}
	if len(missing) == 0 {
		return pass(fmt.Sprintf("role %s allows all %d actions of %s%s", role.Name, len(FaultActions(f.Faults)), names, how)).With("faults", names)
	}
	slices.Sort(missing)
	doc := actionPolicy(missing)
	return fail(fmt.Sprintf("role %s: %s%s", role.Name, strings.Join(lines, "; "), how),
		fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name podcred-faults --policy-document '%s' (narrow Resource where the fault allows it)",
			role.Name, doc)).With("faults", names).With("missing", strings.Join(missing, ","))
}

// actionPolicy renders a policy document allowing actions on every resource.
func actionPolicy(actions []string) string {
	b, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []map[string]any{{"Effect": "Allow", "Action": actions, "Resource": "*"}},
	})
	return string(b)
}

func faultNames(faults []Fault) string {
	var out []string
	for _, f := range faults {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}
