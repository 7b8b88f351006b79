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
// A network failure counts as "unavailable" (nothing verified) only when web
// identity is configured: the chain would have used it had STS answered.
// Without it, whatever the fallbacks did, the experiment gets no role.
func probeChain(ctx context.Context, cfg aws.Config, c GetCallerIdentityAPI, timeout time.Duration, webIdentity bool) *ChainResult {
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
		// No answer from a provider's endpoint proves nothing either way.
		res.Unavailable = webIdentity && !ce.Refused() && ce.Code != "RequestError"
		return res
	}
	res.Source = creds.Source
	cr := callerIdentity(ctx, c, staticProvider{creds}, timeout)
	res.ARN, res.Account, res.CallErr = cr.ARN, cr.Account, cr.Err
	return res
}

// staticProvider hands already retrieved credentials to one call without
// retrieving them again.
type staticProvider struct{ c aws.Credentials }

// Retrieve returns the credentials it holds.
func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) { return p.c, nil }

// SDKNameV2 names the SDK that judges go-v2, with its core module's version.
func SDKNameV2() string { return aws.SDKName + " v" + aws.SDKVersion }
