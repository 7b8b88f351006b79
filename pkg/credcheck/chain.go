package credcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/podcred/podcred/pkg/podiam"
)

// probeChain retrieves credentials from the SDK default chain, exactly as an
// experiment using the SDK would, and asks STS who they belong to.
//
// A network failure counts as "unavailable" (nothing verified) only when
// the pod has a mechanism (web identity or Pod Identity): the chain would
// have used it had STS or the agent answered. Without one, whatever the
// fallbacks did, the experiment gets no role. On a Pod-Identity-only pod the
// chain's error comes from the container provider, classified as
// podidentity.credentials classifies it.
func probeChain(ctx context.Context, cfg aws.Config, c GetCallerIdentityAPI, timeout time.Duration, m chainRole) *ChainResult {
	start := time.Now()
	res := &ChainResult{SDK: SDKNameV2()}
	defer func() { res.Duration = time.Since(start) }()
	if cfg.Credentials == nil {
		res.LoadErr = fmt.Errorf("the default chain has no credentials provider")
		return res
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	creds, err := cfg.Credentials.Retrieve(rctx)
	cancel()
	if err != nil {
		res.LoadErr = fmt.Errorf("no credentials from the default chain: %s", podiam.RootMessage(err))
		ce := podiam.Classify("default chain", err)
		if m.podIdentityOnly {
			ce = podiam.ClassifyContainerCredentials("default chain", err)
		}
		// No answer from a provider's endpoint proves nothing either way.
		res.Unavailable = (m.webIdentity || m.podIdentityOnly) && !ce.Refused() && ce.Code != "RequestError"
		return res
	}
	res.Source = creds.Source
	cr := callerIdentity(ctx, c, staticProvider{creds}, timeout)
	res.ARN, res.Account, res.CallErr = cr.ARN, cr.Account, cr.Err
	return res
}

// chainRole says where the chain would take a role from: web identity (both
// IRSA variables set) or, on a pod without IRSA, Pod Identity.
type chainRole struct{ webIdentity, podIdentityOnly bool }

// chainRoleOf reads the chain's expected role source from the facts.
func chainRoleOf(f Facts) chainRole {
	return chainRole{webIdentity: f.RoleARN != "" && f.TokenFile != "", podIdentityOnly: MechanismsOf(f).podIdentityOnly()}
}

// staticProvider hands already retrieved credentials to one call without
// retrieving them again.
type staticProvider struct{ c aws.Credentials }

// Retrieve returns the credentials it holds.
func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) { return p.c, nil }

// SDKNameV2 names the SDK that judges go-v2, with its core module's version.
func SDKNameV2() string { return aws.SDKName + " v" + aws.SDKVersion }
