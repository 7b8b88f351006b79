package stsfront

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/podcred/podcred/internal/sandbox/iampolicy"
)

// motoAccountHeader makes moto answer from a given account's state.
const motoAccountHeader = "x-moto-account-id"

// lookup reads IAM state from moto, in the account and partition of a role.
// Nothing is cached: every answer reflects moto's state at the time of the call.
type lookup struct {
	client        *iam.Client
	defaultRegion string

	// Provider lookups are cached, as STS caches identity provider
	// configuration, until IAM changes: every IAM write through the front and
	// every moto reset bumps gen and empties the cache.
	mu        sync.Mutex
	gen       uint64
	providers map[string]*provider
}

// invalidate forgets every cached provider lookup.
func (l *lookup) invalidate() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
	l.providers = nil
}

func newLookup(upstream, region string, hc *http.Client) *lookup {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIASTSFRONTLOOKUP01", "stsfront-dummy-secret", ""),
		HTTPClient:  hc,
	}
	return &lookup{
		client: iam.NewFromConfig(cfg, func(o *iam.Options) {
			o.BaseEndpoint = aws.String(upstream)
			o.RetryMaxAttempts = 2
		}),
		defaultRegion: region,
	}
}

// in scopes a call to the role's account and partition.
func (l *lookup) in(role roleARN) func(*iam.Options) {
	return func(o *iam.Options) {
		o.Region = regionFor(role.Partition, l.defaultRegion)
		o.HTTPClient = accountClient{next: o.HTTPClient, account: role.Account}
	}
}

type accountClient struct {
	next    iam.HTTPClient
	account string
}

// Do sends r to moto in the client's account.
func (c accountClient) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set(motoAccountHeader, c.account)
	return c.next.Do(r)
}

func isNoSuchEntity(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}

// provider is an IAM OIDC identity provider.
type provider struct {
	ARN       string
	ClientIDs []string
}

// findProvider returns the role account's OIDC provider for issuer (https URL),
// or nil when there is none.
func (l *lookup) findProvider(ctx context.Context, role roleARN, issuer string) (*provider, error) {
	if !strings.HasPrefix(issuer, "https://") {
		return nil, nil // IAM providers are https only
	}
	key := role.Partition + ":" + role.Account + "|" + issuer
	l.mu.Lock()
	p, hit := l.providers[key]
	gen := l.gen
	l.mu.Unlock()
	if hit {
		return p, nil
	}
	p, err := l.fetchProvider(ctx, role, issuer)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.gen == gen { // nothing changed IAM while we looked
		if l.providers == nil {
			l.providers = map[string]*provider{}
		}
		l.providers[key] = p
	}
	l.mu.Unlock()
	return p, nil
}

// fetchProvider asks moto for the role account's provider of issuer (nil when none).
func (l *lookup) fetchProvider(ctx context.Context, role roleARN, issuer string) (*provider, error) {
	want := iampolicy.IssuerHostPath(issuer)
	out, err := l.client.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}, l.in(role))
	if err != nil {
		return nil, fmt.Errorf("list OIDC providers: %w", err)
	}
	for _, p := range out.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		_, hostPath, ok := strings.Cut(arn, ":oidc-provider/")
		if !ok || strings.TrimSuffix(hostPath, "/") != want {
			continue
		}
		// Only providers of the role's account and partition count.
		if !strings.HasPrefix(arn, "arn:"+role.Partition+":iam::"+role.Account+":") {
			continue
		}
		got, err := l.client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.Arn}, l.in(role))
		if isNoSuchEntity(err) {
			return nil, nil // deleted between the two calls
		}
		if err != nil {
			return nil, fmt.Errorf("get OIDC provider %s: %w", arn, err)
		}
		return &provider{ARN: arn, ClientIDs: got.ClientIDList}, nil
	}
	return nil, nil
}

// getRole returns the role, or nil when it does not exist in the ARN's account
// and partition.
func (l *lookup) getRole(ctx context.Context, role roleARN) (*types.Role, error) {
	out, err := l.client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role.Name)}, l.in(role))
	if isNoSuchEntity(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get role %s: %w", role.Name, err)
	}
	if got, ok := parseRoleARN(aws.ToString(out.Role.Arn)); !ok || !sameRole(got, role) {
		return nil, nil
	}
	return out.Role, nil
}

// rolePolicies returns the role's inline policies (type "role") and attached
// managed policies ("aws-managed" or "user-managed"), parsed.
func (l *lookup) rolePolicies(ctx context.Context, role roleARN) ([]iampolicy.Source, error) {
	var out []iampolicy.Source
	inline := iam.NewListRolePoliciesPaginator(l.client, &iam.ListRolePoliciesInput{RoleName: aws.String(role.Name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx, l.in(role))
		if err != nil {
			return nil, fmt.Errorf("list inline policies of %s: %w", role.Name, err)
		}
		for _, name := range page.PolicyNames {
			got, err := l.client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role.Name), PolicyName: aws.String(name)}, l.in(role))
			if err != nil {
				return nil, fmt.Errorf("get inline policy %s of %s: %w", name, role.Name, err)
			}
			p, err := iampolicy.Parse([]byte(aws.ToString(got.PolicyDocument)))
			if err != nil {
				return nil, fmt.Errorf("inline policy %s of %s: %w", name, role.Name, err)
			}
			out = append(out, iampolicy.Source{ID: name, Type: "role", Policy: p})
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(l.client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role.Name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx, l.in(role))
		if err != nil {
			return nil, fmt.Errorf("list attached policies of %s: %w", role.Name, err)
		}
		for _, ap := range page.AttachedPolicies {
			src, err := l.managedPolicy(ctx, role, aws.ToString(ap.PolicyArn), aws.ToString(ap.PolicyName))
			if err != nil {
				return nil, err
			}
			out = append(out, src)
		}
	}
	return out, nil
}

func (l *lookup) managedPolicy(ctx context.Context, role roleARN, arn, name string) (iampolicy.Source, error) {
	pol, err := l.client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}, l.in(role))
	if err != nil {
		return iampolicy.Source{}, fmt.Errorf("get policy %s: %w", arn, err)
	}
	ver, err := l.client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
		PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId,
	}, l.in(role))
	if err != nil {
		return iampolicy.Source{}, fmt.Errorf("get policy version %s of %s: %w", aws.ToString(pol.Policy.DefaultVersionId), arn, err)
	}
	p, err := iampolicy.Parse([]byte(aws.ToString(ver.PolicyVersion.Document)))
	if err != nil {
		return iampolicy.Source{}, fmt.Errorf("managed policy %s: %w", arn, err)
	}
	typ := "user-managed"
	if strings.Contains(arn, ":iam::aws:policy/") {
		typ = "aws-managed"
	}
	return iampolicy.Source{ID: name, Type: typ, Policy: p}, nil
}
