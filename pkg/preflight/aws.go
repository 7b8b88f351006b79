package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// The AWS calls preflight makes, one interface per call (owned here, where
// they are consumed). *eks.Client and *iam.Client implement them, and so
// does *CachedIAM.
type (
	// DescribeClusterAPI reads the cluster's OIDC issuer.
	DescribeClusterAPI interface {
		DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, opts ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	}
	// ListOpenIDConnectProvidersAPI lists the account's IAM OIDC providers.
	ListOpenIDConnectProvidersAPI interface {
		ListOpenIDConnectProviders(ctx context.Context, in *iam.ListOpenIDConnectProvidersInput, opts ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	}
	// GetOpenIDConnectProviderAPI reads a provider's URL and client IDs.
	GetOpenIDConnectProviderAPI interface {
		GetOpenIDConnectProvider(ctx context.Context, in *iam.GetOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	}
	// GetRoleAPI reads a role and its trust policy.
	GetRoleAPI interface {
		GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	}
	// SimulatePrincipalPolicyAPI simulates the role's policies for actions.
	SimulatePrincipalPolicyAPI interface {
		SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, opts ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	}
	// ListAttachedRolePoliciesAPI lists the role's managed policies.
	ListAttachedRolePoliciesAPI interface {
		ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	}
	// ListRolePoliciesAPI lists the role's inline policy names.
	ListRolePoliciesAPI interface {
		ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	}
	// GetRolePolicyAPI reads an inline policy.
	GetRolePolicyAPI interface {
		GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, opts ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	}
	// GetPolicyAPI reads a managed policy's default version ID.
	GetPolicyAPI interface {
		GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	}
	// GetPolicyVersionAPI reads a managed policy version's document.
	GetPolicyVersionAPI interface {
		GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, opts ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	}
)

// IAMAPI is every IAM call preflight makes.
type IAMAPI interface {
	ListOpenIDConnectProvidersAPI
	GetOpenIDConnectProviderAPI
	GetRoleAPI
	SimulatePrincipalPolicyAPI
	ListAttachedRolePoliciesAPI
	ListRolePoliciesAPI
	GetRolePolicyAPI
	GetPolicyAPI
	GetPolicyVersionAPI
}

var (
	_ DescribeClusterAPI = (*eks.Client)(nil)
	_ IAMAPI             = (*iam.Client)(nil)
)

// maxPages bounds every paginated IAM listing.
const maxPages = 50

// callCtx bounds one AWS call (the client's retryer runs within it).
func callCtx(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// DescribeClusterIssuer reads the cluster's OIDC issuer with eks:DescribeCluster.
func DescribeClusterIssuer(ctx context.Context, c DescribeClusterAPI, cluster string, timeout time.Duration) IssuerFact {
	cctx, cancel := callCtx(ctx, timeout)
	defer cancel()
	out, err := c.DescribeCluster(cctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return IssuerFact{Source: IssuerFromEKS, Err: podiam.Classify("DescribeCluster", err)}
	}
	if out.Cluster == nil || out.Cluster.Identity == nil || out.Cluster.Identity.Oidc == nil || aws.ToString(out.Cluster.Identity.Oidc.Issuer) == "" {
		return IssuerFact{Source: IssuerFromEKS, Problem: fmt.Sprintf("eks:DescribeCluster reports no OIDC issuer for cluster %s", cluster)}
	}
	return IssuerFact{URL: aws.ToString(out.Cluster.Identity.Oidc.Issuer), Source: IssuerFromEKS}
}

// collectProviders lists the account's OIDC providers, picks the issuer's
// (in the role's account when the role is known) and reads its client IDs.
func collectProviders(ctx context.Context, c IAMAPI, issuer string, role *podiam.RoleARN, timeout time.Duration) *ProvidersFact {
	p := &ProvidersFact{}
	cctx, cancel := callCtx(ctx, timeout)
	out, err := c.ListOpenIDConnectProviders(cctx, &iam.ListOpenIDConnectProvidersInput{})
	cancel()
	if err != nil {
		p.ListErr = podiam.Classify("ListOpenIDConnectProviders", err)
		return p
	}
	host := strings.ToLower(podiam.IssuerHost(issuer))
	for _, e := range out.OpenIDConnectProviderList {
		arn := aws.ToString(e.Arn)
		p.ARNs = append(p.ARNs, arn)
		part, acct, h, ok := trustpolicy.ProviderARNParts(arn)
		if !ok {
			continue
		}
		same := strings.EqualFold(h, host)
		inAccount := role == nil || (acct == role.Account && part == role.Partition)
		fixed, swapped := trustpolicy.CorrectIssuerHost(strings.ToLower(h))
		switch {
		case same && inAccount && p.Match == "":
			p.Match = arn
		case same, strings.EqualFold(strings.TrimSuffix(h, "/"), host), swapped && fixed == host:
			p.Near = append(p.Near, arn)
		}
	}
	if p.Match == "" {
		return p
	}
	cctx, cancel = callCtx(ctx, timeout)
	got, err := c.GetOpenIDConnectProvider(cctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(p.Match)})
	cancel()
	if err != nil {
		p.GetErr = podiam.Classify("GetOpenIDConnectProvider", err)
		return p
	}
	p.URL, p.ClientIDs = aws.ToString(got.Url), got.ClientIDList
	return p
}

// collectRole reads the role and parses its (URL-encoded) trust policy.
func collectRole(ctx context.Context, c GetRoleAPI, role podiam.RoleARN, timeout time.Duration) *RoleFact {
	rf := &RoleFact{ARN: role}
	cctx, cancel := callCtx(ctx, timeout)
	defer cancel()
	out, err := c.GetRole(cctx, &iam.GetRoleInput{RoleName: aws.String(role.Name)})
	if err != nil {
		if e := podiam.Classify("GetRole", err); e.Code != "NoSuchEntity" {
			rf.Err = e
		}
		return rf
	}
	rf.Found = true
	if out.Role != nil {
		rf.ActualARN = aws.ToString(out.Role.Arn)
	}
	if out.Role == nil || out.Role.AssumeRolePolicyDocument == nil {
		rf.TrustErr = fmt.Errorf("%w: GetRole returned no trust policy", trustpolicy.ErrNotPolicy)
		return rf
	}
	rf.Trust, rf.TrustErr = trustpolicy.ParsePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	return rf
}

// collectPermissions simulates the role's policies for the actions.
func collectPermissions(ctx context.Context, c SimulatePrincipalPolicyAPI, role podiam.RoleARN, actions []string, timeout time.Duration) *PermissionsFact {
	pf := &PermissionsFact{}
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(role.String()), ActionNames: actions}
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := c.SimulatePrincipalPolicy(cctx, in)
		cancel()
		if err != nil {
			pf.Err = podiam.Classify("SimulatePrincipalPolicy", err)
			return pf
		}
		for _, r := range out.EvaluationResults {
			d := ActionDecision{Action: aws.ToString(r.EvalActionName), Decision: string(r.EvalDecision)}
			for _, m := range r.MatchedStatements {
				if id := aws.ToString(m.SourcePolicyId); id != "" && !slices.Contains(d.MatchedStatements, id) {
					d.MatchedStatements = append(d.MatchedStatements, id)
				}
			}
			pf.Actions = append(pf.Actions, d)
		}
		if !out.IsTruncated || out.Marker == nil {
			return pf
		}
		in.Marker = out.Marker
	}
	return pf
}

// grantsAPI is what collectGrants needs.
type grantsAPI interface {
	ListAttachedRolePoliciesAPI
	ListRolePoliciesAPI
	GetRolePolicyAPI
	GetPolicyAPI
	GetPolicyVersionAPI
}

// collectGrants reads the role's inline and managed policy documents.
func collectGrants(ctx context.Context, c grantsAPI, role podiam.RoleARN, timeout time.Duration) *GrantsFact {
	g := &GrantsFact{}
	var marker *string
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := c.ListAttachedRolePolicies(cctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role.Name), Marker: marker})
		cancel()
		if err != nil {
			g.Err = podiam.Classify("ListAttachedRolePolicies", err)
			return g
		}
		for _, ap := range out.AttachedPolicies {
			g.Policies = append(g.Policies, managedPolicy(ctx, c, aws.ToString(ap.PolicyName), aws.ToString(ap.PolicyArn), timeout))
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	marker = nil
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := c.ListRolePolicies(cctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role.Name), Marker: marker})
		cancel()
		if err != nil {
			g.Err = podiam.Classify("ListRolePolicies", err)
			return g
		}
		for _, name := range out.PolicyNames {
			gp := GrantedPolicy{Name: name}
			cctx, cancel := callCtx(ctx, timeout)
			got, err := c.GetRolePolicy(cctx, &iam.GetRolePolicyInput{RoleName: aws.String(role.Name), PolicyName: aws.String(name)})
			cancel()
			if err != nil {
				gp.Err = podiam.Classify("GetRolePolicy", err)
			} else {
				gp.Doc, gp.Err = trustpolicy.ParsePolicy(aws.ToString(got.PolicyDocument))
			}
			g.Policies = append(g.Policies, gp)
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	return g
}

// managedPolicy reads a managed policy's default version document. AWS
// managed policies named by broadManagedPolicies are not read: their name
// says enough.
func managedPolicy(ctx context.Context, c grantsAPI, name, arn string, timeout time.Duration) GrantedPolicy {
	gp := GrantedPolicy{Name: name, ARN: arn}
	if _, n, ok := strings.Cut(arn, ":iam::aws:policy/"); ok && broadManagedPolicies[n] {
		return gp
	}
	cctx, cancel := callCtx(ctx, timeout)
	pol, err := c.GetPolicy(cctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	cancel()
	if err != nil {
		gp.Err = podiam.Classify("GetPolicy", err)
		return gp
	}
	if pol.Policy == nil || pol.Policy.DefaultVersionId == nil {
		gp.Err = fmt.Errorf("GetPolicy returned no default version for %s", arn)
		return gp
	}
	cctx, cancel = callCtx(ctx, timeout)
	ver, err := c.GetPolicyVersion(cctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	cancel()
	if err != nil {
		gp.Err = podiam.Classify("GetPolicyVersion", err)
		return gp
	}
	if ver.PolicyVersion == nil {
		gp.Err = fmt.Errorf("GetPolicyVersion returned no document for %s", arn)
		return gp
	}
	gp.Doc, gp.Err = trustpolicy.ParsePolicy(aws.ToString(ver.PolicyVersion.Document))
	return gp
}
