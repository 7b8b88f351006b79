package preflight

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// memo runs a function once per key and hands every caller its result:
// callers that arrive while the first call is running wait for it
// (singleflight), later callers get the stored result. Errors are stored
// too: an IAM object that could not be read for one ServiceAccount is not
// asked for again for the next.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]*memoEntry[V]
}

type memoEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (m *memo[V]) do(key string, fn func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry[V]{}
	}
	if e, ok := m.m[key]; ok {
		m.mu.Unlock()
		<-e.done
		return e.v, e.err
	}
	e := &memoEntry[V]{done: make(chan struct{})}
	m.m[key] = e
	m.mu.Unlock()
	defer close(e.done)
	e.v, e.err = fn()
	return e.v, e.err
}

// CachedIAM wraps an IAMAPI so that each IAM object — the provider list,
// a provider, a role, a policy, a policy version, a simulation — is fetched
// once however many ServiceAccounts share it: audit's AWS calls grow with
// roles and providers, not with ServiceAccounts. Concurrent callers of the
// same object wait for one call. Per-call options are not part of the key.
// It is safe for concurrent use.
type CachedIAM struct {
	next IAMAPI

	providers   memo[*iam.ListOpenIDConnectProvidersOutput]
	provider    memo[*iam.GetOpenIDConnectProviderOutput]
	role        memo[*iam.GetRoleOutput]
	simulate    memo[*iam.SimulatePrincipalPolicyOutput]
	attached    memo[*iam.ListAttachedRolePoliciesOutput]
	inlineNames memo[*iam.ListRolePoliciesOutput]
	inline      memo[*iam.GetRolePolicyOutput]
	policy      memo[*iam.GetPolicyOutput]
	version     memo[*iam.GetPolicyVersionOutput]

	calls atomic.Int64
}

var _ IAMAPI = (*CachedIAM)(nil)

// NewCachedIAM returns a memoizing IAMAPI in front of next.
func NewCachedIAM(next IAMAPI) *CachedIAM { return &CachedIAM{next: next} }

// Calls returns how many calls reached the wrapped client.
func (c *CachedIAM) Calls() int64 { return c.calls.Load() }

func cached[V any](c *CachedIAM, m *memo[V], key string, fn func() (V, error)) (V, error) {
	return m.do(key, func() (V, error) {
		c.calls.Add(1)
		return fn()
	})
}

func key(parts ...*string) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = aws.ToString(p)
	}
	return strings.Join(s, "\x00")
}

// ListOpenIDConnectProviders lists the providers once.
func (c *CachedIAM) ListOpenIDConnectProviders(ctx context.Context, in *iam.ListOpenIDConnectProvidersInput, opts ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	return cached(c, &c.providers, "", func() (*iam.ListOpenIDConnectProvidersOutput, error) {
		return c.next.ListOpenIDConnectProviders(ctx, in, opts...)
	})
}

// GetOpenIDConnectProvider reads each provider once.
func (c *CachedIAM) GetOpenIDConnectProvider(ctx context.Context, in *iam.GetOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	return cached(c, &c.provider, key(in.OpenIDConnectProviderArn), func() (*iam.GetOpenIDConnectProviderOutput, error) {
		return c.next.GetOpenIDConnectProvider(ctx, in, opts...)
	})
}

// GetRole reads each role once.
func (c *CachedIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return cached(c, &c.role, key(in.RoleName), func() (*iam.GetRoleOutput, error) {
		return c.next.GetRole(ctx, in, opts...)
	})
}

// SimulatePrincipalPolicy simulates each role and action set once.
func (c *CachedIAM) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, opts ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	actions := slices.Clone(in.ActionNames)
	slices.Sort(actions)
	k := key(in.PolicySourceArn, in.Marker) + "\x00" + strings.Join(actions, ",") + "\x00" + strings.Join(in.ResourceArns, ",")
	return cached(c, &c.simulate, k, func() (*iam.SimulatePrincipalPolicyOutput, error) {
		return c.next.SimulatePrincipalPolicy(ctx, in, opts...)
	})
}

// ListAttachedRolePolicies lists each role's managed policies once.
func (c *CachedIAM) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return cached(c, &c.attached, key(in.RoleName, in.Marker), func() (*iam.ListAttachedRolePoliciesOutput, error) {
		return c.next.ListAttachedRolePolicies(ctx, in, opts...)
	})
}

// ListRolePolicies lists each role's inline policy names once.
func (c *CachedIAM) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return cached(c, &c.inlineNames, key(in.RoleName, in.Marker), func() (*iam.ListRolePoliciesOutput, error) {
		return c.next.ListRolePolicies(ctx, in, opts...)
	})
}

// GetRolePolicy reads each inline policy once.
func (c *CachedIAM) GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, opts ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return cached(c, &c.inline, key(in.RoleName, in.PolicyName), func() (*iam.GetRolePolicyOutput, error) {
		return c.next.GetRolePolicy(ctx, in, opts...)
	})
}

// GetPolicy reads each managed policy once.
func (c *CachedIAM) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return cached(c, &c.policy, key(in.PolicyArn), func() (*iam.GetPolicyOutput, error) {
		return c.next.GetPolicy(ctx, in, opts...)
	})
}

// GetPolicyVersion reads each policy version once.
func (c *CachedIAM) GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, opts ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	return cached(c, &c.version, key(in.PolicyArn, in.VersionId), func() (*iam.GetPolicyVersionOutput, error) {
		return c.next.GetPolicyVersion(ctx, in, opts...)
	})
}
