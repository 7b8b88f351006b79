package credcheck

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/podcred/podcred/pkg/podiam"
)

// defaultRegion is used when neither AWS_REGION nor a shared config names
// one, so that STS can still be reached; EKS always injects AWS_REGION.
const defaultRegion = "us-east-1"

// Collector names, as recorded in Facts.Unfinished and named in the
// registry's needs.
const (
	collectorSTS         = "sts"
	collectorCrossRole   = "cross-role"
	collectorPodIdentity = "pod-identity"
	collectorChain       = "chain"
	collectorIMDS        = "imds"
)

// STSAPI is the STS client the agent's own calls use.
type STSAPI interface {
	AssumeRoleWithWebIdentityAPI
	GetCallerIdentityAPI
}

var _ STSAPI = (*sts.Client)(nil)

// Collect gathers the facts the agent checks judge. Local facts come first,
// every file read through the bounded-read guard (bounded.go), so none can
// block or grow; then the explicit STS calls, the Pod Identity credentials
// endpoint, the SDK default chain, the IMDS probes and the cross-role
// attempts run concurrently, each bounded, so the slowest of them (not their
// sum) sets the run's latency.
//
// ctx carries the run's single deadline, and Collect returns by it whatever
// the collectors do: a collector that has not answered then is recorded in
// Facts.Unfinished (its checks become errors naming the reason) and its late
// answer is dropped. Every collector works under ctx, so each ends with it.
func Collect(ctx context.Context, o Options) Facts {
	o = o.withDefaults()
	f, token, piToken := collectLocal(ctx, o)
	guard, unsafeFile := guardSDKFiles(o)
	cfg, err := loadConfig(ctx, o, guard...)
	switch {
	case unsafeFile != nil:
		f.Chain = &ChainResult{SDK: o.sdkName(), LoadErr: unsafeFile}
	case err != nil && o.ExperimentSDK == SDKGoV2:
		// v1.38.59 ignores a profile that does not exist (aws/session/session.go,
		// SharedConfigProfileNotExistsError): only v2's chain fails here.
		f.Chain = &ChainResult{SDK: o.sdkName(), LoadErr: explainLoadErr(o, err)}
	}
	if err != nil {
		cfg, err = explicitConfig(ctx, o, guard)
		if err != nil {
			f.ConfigErr = err
		}
	}
	if f.Chain == nil && o.ExperimentSDK == SDKGoV1 && f.TokenReadErr != nil {
		// v1's web identity provider reads the token with ioutil.ReadFile: keep
		// an unsafe token from it, as the v2 path does with its own reader.
		f.Chain = &ChainResult{SDK: o.sdkName(), LoadErr: fmt.Errorf("the SDK would read %s: %w", f.TokenFile, f.TokenReadErr)}
	}
	r := newRunner(ctx, 5)
	startCollectors(ctx, r, o, &f, cfg, token, piToken)
	r.wait(&f)
	return f
}

// collectLocal gathers the facts that need no network: environment, token
// claims, static keys, shared files, the pod's identity. It returns the raw
// IRSA and Pod Identity tokens for the calls that need them.
func collectLocal(ctx context.Context, o Options) (f Facts, token, piToken []byte) {
	f = Facts{Now: o.Now().UTC(), Audience: o.Audience, Pod: o.Pod, ExperimentSDK: o.ExperimentSDK}
	if dl, ok := ctx.Deadline(); ok {
		f.RunDeadline = dl
	}
	f.RoleARN = o.getenv(podiam.EnvRoleARN)
	f.TokenFile = o.getenv(podiam.EnvTokenFile)
	token = readToken(&f, f.TokenFile)
	piToken = readPodIdentity(&f, o)
	f.StaticEnv = collectStaticEnv(o)
	f.SharedFiles = collectSharedFiles(o)
	if f.Pod.ServiceAccount == "" {
		f.Pod.ServiceAccount = serviceAccountOf(f.Claims)
	}
	if f.Pod.ServiceAccount == "" {
		f.Pod.ServiceAccount = serviceAccountOf(f.PodIdentity.Claims)
	}
	if f.Pod.ServiceAccount == "" {
		// No token to learn it from (the pod predates the annotation or the
		// association): the pod's own Kubernetes token still names it, so the
		// failing report can be published where the experiment gates.
		f.Pod.ServiceAccount = kubeServiceAccount(o.KubeTokenFile)
	}
	if endpoint, skip := o.imdsEndpoint(); !skip {
		if err := ValidateIMDSEndpoint(endpoint); err != nil {
			f.IMDS = &IMDSResult{Endpoint: endpoint, Err: err}
		}
	}
	return f, token, piToken
}

// startCollectors starts every network collector the facts call for. They
// read only their arguments and locals, never f, which only Collect's
// goroutine writes (through the runner's apply functions).
func startCollectors(ctx context.Context, r *runner, o Options, f *Facts, cfg aws.Config, token, piToken []byte) {
	var client STSAPI = o.STS
	if client == nil {
		client = sts.NewFromConfig(cfg)
	}
	session := SessionName(f.Pod.Name, f.Now)
	_, roleErr := podiam.ParseRoleARN(f.RoleARN)
	roleARN, mech := f.RoleARN, chainRoleOf(*f)
	if roleErr == nil && token != nil && f.ClaimsErr == nil && f.ConfigErr == nil {
		r.run(collectorSTS, func() func(*Facts) {
			a, c := assumeRole(ctx, client, roleARN, session, token, o.CallTimeout)
			return func(f *Facts) { f.Assume, f.Caller = a, c }
		})
		if len(o.DenyRoleARNs) > 0 {
			r.run(collectorCrossRole, func() func(*Facts) {
				d := crossRole(ctx, client, o.DenyRoleARNs, session, token, o.CallTimeout)
				return func(f *Facts) { f.DenyRoles = d }
			})
		}
	}
	if canCallPodIdentity(f.PodIdentity, piToken) && f.ConfigErr == nil {
		endpoint := f.PodIdentity.FullURI
		r.run(collectorPodIdentity, func() func(*Facts) {
			provider := newPodIdentityProvider(o, endpoint, string(piToken))
			c, id := podIdentityCredentials(ctx, provider, client, endpoint, string(piToken), o.CallTimeout)
			return func(f *Facts) { f.PodIdentity.Creds, f.PodIdentity.Caller = c, id }
		})
	}
	if f.Chain == nil {
		region := cfg.Region
		r.run(collectorChain, func() func(*Facts) {
			var c *ChainResult
			if o.ExperimentSDK == SDKGoV1 {
				c = probeChainV1(ctx, o, region, nil, client, mech)
			} else {
				c = probeChain(ctx, cfg, client, o.CallTimeout, mech)
			}
			scrubChain(c, token, piToken)
			return func(f *Facts) { f.Chain = c }
		})
	}
	if f.IMDS == nil {
		r.run(collectorIMDS, func() func(*Facts) {
			m := probeIMDS(ctx, o)
			return func(f *Facts) { f.IMDS = m }
		})
	}
}
