package credcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v1aws "github.com/aws/aws-sdk-go/aws"
	v1awserr "github.com/aws/aws-sdk-go/aws/awserr"
	v1defaults "github.com/aws/aws-sdk-go/aws/defaults"
	v1endpoints "github.com/aws/aws-sdk-go/aws/endpoints"
	v1request "github.com/aws/aws-sdk-go/aws/request"
	v1session "github.com/aws/aws-sdk-go/aws/session"
)

// SDKGoV1 judges the chain with aws-sdk-go v1, pinned at the version
// litmus-go uses (litmuschaos/litmus-go go.mod: github.com/aws/aws-sdk-go
// v1.38.59), its session built as litmus-go builds it
// (pkg/cloud/aws/common/common.go: SharedConfigState SharedConfigEnable and
// an explicit region). Its precedence is aws/session/credentials.go,
// resolveCredentials: a programmatic profile, environment keys, web identity
// from the environment, then the shared profile and the remote providers
// (container, EC2 role).
const (
	SDKGoV2 = "go-v2"
	SDKGoV1 = "go-v1"
)

// EnvExperimentSDK is where the agent reads --experiment-sdk from the
// environment (the PODCRED_<FLAG> rule of every flag).
const EnvExperimentSDK = "PODCRED_EXPERIMENT_SDK"

// ExperimentSDKs lists the values of --experiment-sdk.
var ExperimentSDKs = []string{SDKGoV2, SDKGoV1}

// probeChainV1 retrieves credentials the way an aws-sdk-go v1.38.59
// experiment would, then asks STS (through podcred's own client) who they
// belong to. What the SDK reads is guarded as for v2: the token file and the
// shared files were checked by the caller (unsafe ones are kept from the
// session), and every response body is capped.
//
// One deliberate difference from litmus-go: v1.38.59 knows no
// AWS_ENDPOINT_URL_* variables, so when AWS_ENDPOINT_URL_STS is set (only
// tests and the sandbox set it) its STS calls go there instead of to AWS.
// On EKS it is unset and the SDK resolves STS itself (evidence stsEndpoint).
func probeChainV1(ctx context.Context, o Options, region string, sharedFiles []string, c GetCallerIdentityAPI, m chainRole) *ChainResult {
	start := time.Now()
	res := &ChainResult{SDK: SDKNameV1()}
	defer func() { res.Duration = time.Since(start) }()
	cfg := v1aws.Config{
		Region: v1aws.String(region),
		// An *http.Transport, as the SDK requires to apply AWS_CA_BUNDLE.
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: o.CallTimeout},
		MaxRetries: v1aws.Int(1),
		// On a Pod-Identity-only pod every provider fails: say how each did.
		CredentialsChainVerboseErrors: v1aws.Bool(m.podIdentityOnly),
	}
	handlers := v1defaults.Handlers()
	handlers.Send.PushBackNamed(capBodies)
	if url := o.getenv(envEndpointURLSTS); url != "" {
		cfg.EndpointResolver = v1endpoints.ResolverFunc(func(svc, rgn string, opts ...func(*v1endpoints.Options)) (v1endpoints.ResolvedEndpoint, error) {
			if svc == "sts" {
				return v1endpoints.ResolvedEndpoint{URL: url, SigningRegion: rgn}, nil
			}
			return v1endpoints.DefaultResolver().EndpointFor(svc, rgn, opts...)
		})
	}
	sess, err := v1session.NewSessionWithOptions(v1session.Options{
		Config:            cfg,
		SharedConfigState: v1session.SharedConfigEnable,
		SharedConfigFiles: sharedFiles,
		Handlers:          handlers,
	})
	if err != nil {
		res.LoadErr = fmt.Errorf("%s cannot start a session: %s", res.SDK, v1Message(err))
		return res
	}
	res.Endpoint = v1STSEndpoint(sess, region)
	rctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	v, err := sess.Config.Credentials.GetWithContext(rctx)
	cancel()
	if err != nil {
		res.LoadErr = fmt.Errorf("no credentials from %s's default chain: %s", res.SDK, v1Message(err))
		var ae v1awserr.Error
		refused := errors.As(err, &ae) && (ae.Code() == "AccessDenied" || ae.Code() == "InvalidIdentityToken" ||
			ae.Code() == "ExpiredTokenException" || ae.Code() == "NoCredentialProviders")
		res.Unavailable = m.webIdentity && !refused && ctx.Err() == nil && isV1Transport(err)
		return res
	}
	res.Source = v.ProviderName
	creds := aws.Credentials{AccessKeyID: v.AccessKeyID, SecretAccessKey: v.SecretAccessKey, SessionToken: v.SessionToken, Source: v.ProviderName}
	cr := callerIdentity(ctx, c, staticProvider{creds}, o.CallTimeout)
	res.ARN, res.Account, res.CallErr = cr.ARN, cr.Account, cr.Err
	return res
}

// SDKNameV1 names the SDK that judges go-v1, with its version.
func SDKNameV1() string { return v1aws.SDKName + " v" + v1aws.SDKVersion }

// v1STSEndpoint is the STS endpoint the session resolves for region
// (AWS_STS_REGIONAL_ENDPOINTS decides between the global and the regional
// one in v1.38.59; the global one is its default).
func v1STSEndpoint(sess *v1session.Session, region string) string {
	e, err := sess.Config.EndpointResolver.EndpointFor("sts", region, func(o *v1endpoints.Options) {
		o.STSRegionalEndpoint = sess.Config.STSRegionalEndpoint
	})
	if err != nil {
		return ""
	}
	return e.URL
}

// v1Message is an AWS v1 error's code and message, without the request's
// details (which never hold secrets, but are long).
func v1Message(err error) string {
	var ae v1awserr.Error
	if errors.As(err, &ae) {
		msg := ae.Code() + ": " + ae.Message()
		if orig := ae.OrigErr(); orig != nil {
			msg += ": " + orig.Error()
		}
		return msg
	}
	return err.Error()
}

// isV1Transport reports whether err came from the network (no answer), not
// from a refusal.
func isV1Transport(err error) bool {
	var ae v1awserr.Error
	for errors.As(err, &ae) {
		if ae.Code() == "RequestError" || ae.Code() == "RequestCanceled" {
			return true
		}
		if ae.OrigErr() == nil {
			return false
		}
		err = ae.OrigErr()
		ae = nil
	}
	return false
}

// capBodies caps every response body the v1 SDK reads, for every client the
// session builds (its credential providers copy the session's handlers).
var capBodies = v1request.NamedHandler{Name: "podcred.CapBody", Fn: func(r *v1request.Request) {
	if r.HTTPResponse != nil && r.HTTPResponse.Body != nil {
		r.HTTPResponse.Body = &cappedBody{rc: r.HTTPResponse.Body, left: maxHTTPBodyBytes}
	}
}}
