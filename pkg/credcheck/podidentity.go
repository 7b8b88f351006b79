package credcheck

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/smithy-go/middleware"

	"github.com/podcred/podcred/pkg/podiam"
)

// readPodIdentity records the Pod Identity environment and reads its token
// through the bounded-read guard. The raw token is returned for the
// credentials call and never stored in Facts.
func readPodIdentity(f *Facts, o Options) []byte {
	p := &f.PodIdentity
	p.FullURI = o.getenv(podiam.EnvContainerCredsFullURI)
	p.TokenFile = o.getenv(podiam.EnvContainerAuthTokenFile)
	if p.TokenFile == "" {
		return nil
	}
	raw, err := readBounded(p.TokenFile, maxTokenBytes)
	if err != nil {
		p.TokenReadErr = err
		p.TokenPermissionDenied = errors.Is(err, fs.ErrPermission)
		return nil
	}
	p.TokenHasNewline = strings.ContainsAny(string(raw), "\r\n")
	c, err := DecodeClaims(raw)
	if err != nil {
		p.ClaimsErr = err
	} else {
		p.Claims = &c
	}
	return raw
}

// canCallPodIdentity reports whether the credentials endpoint may be
// called: a usable URI (never dialled otherwise) and a token the SDK would send.
func canCallPodIdentity(p PodIdentityFacts, token []byte) bool {
	return p.FullURI != "" && podIdentityEndpointProblem(p.FullURI) == "" &&
		token != nil && p.ClaimsErr == nil && !p.TokenHasNewline
}

// newPodIdentityProvider is the SDK's own container credentials provider
// (aws-sdk-go-v2 credentials/endpointcreds/provider.go: GET endpoint with
// the Authorization header from AuthorizationToken), built as the default
// chain builds it (config/resolve_credentials.go, resolveHTTPCredProvider),
// with podcred's bounds: the token already read through the guard, a
// per-call timeout, every body capped, podcred's retryer.
func newPodIdentityProvider(o Options, endpoint, token string) aws.CredentialsProvider {
	return endpointcreds.New(endpoint, func(eo *endpointcreds.Options) {
		eo.HTTPClient = bounded(awshttp.NewBuildableClient().WithTimeout(o.CallTimeout))
		eo.APIOptions = []func(*middleware.Stack) error{boundedBodies}
		eo.Retryer = newRetryer()
		eo.AuthorizationToken = token
	})
}

// podIdentityCredentials asks the credentials endpoint for credentials and,
// on success, STS who they belong to. The credentials live only in this
// function; an error message that echoes the token is scrubbed.
func podIdentityCredentials(ctx context.Context, p aws.CredentialsProvider, c GetCallerIdentityAPI,
	endpoint, token string, timeout time.Duration) (*ContainerCredsResult, *CallerResult) {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	creds, err := p.Retrieve(rctx)
	cancel()
	res := &ContainerCredsResult{Endpoint: endpoint, Duration: time.Since(start)}
	if err != nil {
		res.Err = podiam.ClassifyContainerCredentials("GetCredentials", err)
		res.Err.Message = scrubToken(res.Err.Message, token)
		return res, nil
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		res.Err = &podiam.CallError{Operation: "GetCredentials", Code: "MissingCredentials",
			Message: "the endpoint answered without AccessKeyId and SecretAccessKey", Kind: podiam.KindUnavailable}
		return res, nil
	}
	res.AccountID = creds.AccountID
	if creds.CanExpire {
		res.Expiration = creds.Expires
	}
	return res, callerIdentity(ctx, c, staticProvider{creds}, timeout)
}

// scrubChain removes the tokens from the chain's errors: the SDK quotes an
// endpoint's error body, which may echo the Authorization header.
func scrubChain(c *ChainResult, tokens ...[]byte) {
	for _, tok := range tokens {
		if c.LoadErr != nil && len(tok) > 0 {
			if msg := scrubToken(c.LoadErr.Error(), string(tok)); msg != c.LoadErr.Error() {
				c.LoadErr = errors.New(msg)
			}
		}
		if c.CallErr != nil && len(tok) > 0 {
			c.CallErr.Message = scrubToken(c.CallErr.Message, string(tok))
		}
	}
}

// scrubToken removes the token, and each long part of it, from msg: an
// endpoint may echo what it was sent.
func scrubToken(msg, token string) string {
	token = strings.TrimSpace(token)
	if token == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, token, "<token>")
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 16 {
			msg = strings.ReplaceAll(msg, part, "<token>")
		}
	}
	return msg
}
