package credcheck

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rs/zerolog"
)

// defaultRegion is used when neither AWS_REGION nor a shared config names
// one, so that STS can still be reached; EKS always injects AWS_REGION.
const defaultRegion = "us-east-1"

// Collect gathers the facts the agent checks judge. Local facts come first;
// then the explicit STS calls, the SDK default chain, the IMDS probes and the
// cross-role attempts run concurrently, each bounded, so the slowest of them
// (not their sum) sets the run's latency. ctx bounds the whole collection.
func Collect(ctx context.Context, o Options) Facts {
	o = o.withDefaults()
	log := zerolog.Ctx(ctx)
	f := Facts{Now: o.Now().UTC(), Audience: o.Audience, Pod: o.Pod}
	if dl, ok := ctx.Deadline(); ok {
		f.RunDeadline = dl
	}
	f.RoleARN = o.getenv(EnvRoleARN)
	f.TokenFile = o.getenv(EnvTokenFile)
	token := readToken(&f, f.TokenFile)
	f.StaticEnv = collectStaticEnv(o)
	f.SharedFiles = collectSharedFiles(o)
	if f.Pod.ServiceAccount == "" {
		f.Pod.ServiceAccount = serviceAccountOf(f.Claims)
	}
	if f.Pod.ServiceAccount == "" {
		// No web identity token to learn it from (the pod predates the
		// annotation): the pod's own Kubernetes token still names it, so the
		// failing report can be published where the experiment gates.
		f.Pod.ServiceAccount = kubeServiceAccount(o.KubeTokenFile)
	}

	cfg, err := loadConfig(ctx, o)
	if err != nil {
		f.Chain = &ChainResult{LoadErr: err}
		// Explicit calls still run, from a config that ignores the broken shared files.
		cfg, _ = loadConfig(ctx, o, config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	}
	client := sts.NewFromConfig(cfg)
	session := SessionName(f.Pod.Name, f.Now)
	_, roleErr := ParseRoleARN(f.RoleARN)
	canAssume := roleErr == nil && token != nil && f.ClaimsErr == nil

	var wg sync.WaitGroup
	run := func(name string, fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			fn()
			log.Debug().Str("collector", name).Dur("took", time.Since(start)).Msg("collected")
		}()
	}
	if canAssume {
		run("sts", func() { f.Assume, f.Caller = assumeRole(ctx, client, f.RoleARN, session, token, o.CallTimeout) })
		if len(o.DenyRoleARNs) > 0 {
			run("cross-role", func() { f.DenyRoles = crossRole(ctx, client, o.DenyRoleARNs, session, token, o.CallTimeout) })
		}
	}
	if f.Chain == nil {
		run("chain", func() { f.Chain = probeChain(ctx, cfg, client, o.CallTimeout, f.RoleARN != "" && f.TokenFile != "") })
	}
	run("imds", func() { f.IMDS = probeIMDS(ctx, o) })
	wg.Wait()
	return f
}

// loadConfig loads the SDK configuration the way an experiment would (default
// chain, AWS_ENDPOINT_URL*, AWS_REGION), with bounded retries and timeouts.
func loadConfig(ctx context.Context, o Options, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	hc := awshttp.NewBuildableClient().WithTimeout(o.CallTimeout)
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(defaultRegion),
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer {
			// Throttling, 5xx and network errors are retried with jitter;
			// refusals (AccessDenied, InvalidIdentityToken...) are not.
			r := retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 3
				so.MaxBackoff = time.Second
			})
			return retry.AddWithErrorCodes(r, "IDPCommunicationError")
		}),
	}
	if o.IMDSEndpoint != "" {
		opts = append(opts, config.WithEC2IMDSEndpoint(o.IMDSEndpoint))
	}
	// When the chain falls through to the instance role, ask IMDS once within
	// the probe timeout instead of waiting out the SDK's retries (~4 s against
	// a blocked endpoint): the answer (which source wins) is the same.
	opts = append(opts, config.WithEC2RoleCredentialOptions(func(ro *ec2rolecreds.Options) {
		endpoint, _ := o.imdsEndpoint()
		ro.Client = imds.New(imds.Options{
			Endpoint:   endpoint,
			Retryer:    aws.NopRetryer{},
			HTTPClient: awshttp.NewBuildableClient().WithTimeout(o.IMDSTimeout),
			// ClientEnableState stays default: AWS_EC2_METADATA_DISABLED is honoured as the SDK would.
		})
	}))
	return config.LoadDefaultConfig(ctx, append(opts, extra...)...)
}
