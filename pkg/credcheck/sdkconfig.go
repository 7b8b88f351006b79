package credcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/rs/zerolog"

	"github.com/podcred/podcred/pkg/podiam"
)

// Environment variables naming further files the SDK reads.
const (
	envCABundle       = "AWS_CA_BUNDLE"
	envEndpointURLSTS = "AWS_ENDPOINT_URL_STS"
)

// loadConfig loads the SDK configuration the way an experiment would (default
// chain, AWS_ENDPOINT_URL*, AWS_REGION), with bounded retries and timeouts,
// every HTTP body and every token file read through the bounded-read guard,
// and the SDK's own log lines sent through the run's logger.
func loadConfig(ctx context.Context, o Options, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(defaultRegion),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(o.CallTimeout)),
		config.WithAPIOptions([]func(*middleware.Stack) error{boundedBodies}),
		config.WithLogger(sdkLogger(zerolog.Ctx(ctx))),
		config.WithRetryer(newRetryer),
		config.WithWebIdentityRoleCredentialOptions(func(wo *stscreds.WebIdentityRoleOptions) {
			// The SDK's reader is os.ReadFile: route it through the guard.
			wo.TokenRetriever = boundedTokenFile(o.getenv(podiam.EnvTokenFile))
		}),
	}
	if p := o.getenv(podiam.EnvContainerAuthTokenFile); p != "" {
		opts = append(opts, config.WithEndpointCredentialOptions(func(eo *endpointcreds.Options) {
			eo.AuthorizationTokenProvider = boundedAuthToken(p)
			// The chain's credentials cache detaches the call from the run's
			// context (aws/credential_cache.go, suppressedContext): bound
			// each attempt by the call timeout instead, and every body.
			eo.HTTPClient = bounded(awshttp.NewBuildableClient().WithTimeout(o.CallTimeout))
		}))
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
			HTTPClient: bounded(awshttp.NewBuildableClient().WithTimeout(o.IMDSTimeout)),
			Logger:     sdkLogger(zerolog.Ctx(ctx)),
			// ClientEnableState stays default: AWS_EC2_METADATA_DISABLED is honoured as the SDK would.
		})
	}))
	return config.LoadDefaultConfig(ctx, append(opts, extra...)...)
}

// newRetryer retries throttling, 5xx and network errors with jitter, three
// attempts at most; refusals (AccessDenied, InvalidIdentityToken...) are not retried.
func newRetryer() aws.Retryer {
	r := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 3
		so.MaxBackoff = time.Second
	})
	return retry.AddWithErrorCodes(r, "IDPCommunicationError")
}

// explicitConfig is the configuration of the agent's own STS calls when the
// SDK's loader refuses the pod's settings (a missing AWS_PROFILE, a shared
// file that fails the guard): it ignores shared files and profiles, but keeps
// AWS_REGION and AWS_ENDPOINT_URL* from the environment, so the report says
// what is wrong with the settings instead of blaming the network.
func explicitConfig(ctx context.Context, o Options, guard []func(*config.LoadOptions) error) (aws.Config, error) {
	cfg, err := loadConfig(ctx, o, append(guard, config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}))...)
	if err == nil {
		return cfg, nil
	}
	// The loader insists on AWS_PROFILE existing: build from the environment alone.
	env, envErr := config.NewEnvConfig()
	if envErr != nil {
		return aws.Config{}, err
	}
	region := env.Region
	if region == "" {
		region = defaultRegion
	}
	cfg = aws.Config{
		Region:        region,
		HTTPClient:    awshttp.NewBuildableClient().WithTimeout(o.CallTimeout),
		APIOptions:    []func(*middleware.Stack) error{boundedBodies},
		Logger:        sdkLogger(zerolog.Ctx(ctx)),
		Retryer:       newRetryer,
		ConfigSources: []interface{}{env},
	}
	if env.BaseEndpoint != "" {
		cfg.BaseEndpoint = aws.String(env.BaseEndpoint)
	}
	return cfg, nil
}

// boundedBodies caps the raw response body of every SDK operation before
// its deserializer (or the SDK's drain of an unread body) reads it.
func boundedBodies(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("podcredBodyLimit",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error,
		) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
				resp.Body = &cappedBody{rc: resp.Body, left: maxHTTPBodyBytes}
			}
			return out, md, err
		}), middleware.After)
}

// guardSDKFiles checks the files the SDK's config loader would read with
// os.ReadFile (shared credentials and config files, AWS_CA_BUNDLE) before it
// reads them. It returns load options that keep the loader to the files that
// pass (the CA bundle is handed over already read, bounded) and, when one
// fails, the reason, which chain.source reports: an experiment's SDK would
// block on that file or read it without end.
func guardSDKFiles(o Options) (opts []func(*config.LoadOptions) error, unsafe error) {
	type sdkFile struct{ path, via string }
	pick := func(env, def string) sdkFile {
		if p := o.getenv(env); p != "" {
			return sdkFile{p, env}
		}
		if o.HomeDir == "" {
			return sdkFile{}
		}
		return sdkFile{filepath.Join(o.HomeDir, ".aws", def), "the default location"}
	}
	creds, conf := pick(podiam.EnvSharedCredsFile, "credentials"), pick(podiam.EnvConfigFile, "config")
	var problems []error
	keep := func(f sdkFile) []string {
		if f.path == "" {
			return nil
		}
		err := checkRegular(f.path, maxSharedFileBytes)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return []string{f.path}
		}
		problems = append(problems, fmt.Errorf("the SDK would read %s (%s): %w", f.path, f.via, err))
		return []string{}
	}
	keptCreds, keptConf := keep(creds), keep(conf)
	if len(problems) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(keptCreds), config.WithSharedConfigFiles(keptConf))
	}
	if p := o.getenv(envCABundle); p != "" {
		b, err := readBounded(p, maxSharedFileBytes)
		if err != nil {
			problems = append(problems, fmt.Errorf("the SDK would read %s (%s): %w", p, envCABundle, err))
		}
		// Handed over already read; when unreadable, empty, so the load
		// fails as the experiment's would instead of reading it unguarded.
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(b)))
	}
	return opts, errors.Join(problems...)
}

// explainLoadErr says what is wrong when the SDK cannot load its config.
func explainLoadErr(o Options, err error) error {
	var nope config.SharedConfigProfileNotExistError
	if p := o.getenv(podiam.EnvProfile); p != "" && errors.As(err, &nope) {
		return fmt.Errorf("AWS_PROFILE=%s names a profile that no shared config or credentials file defines (the SDK refuses to load): %w", p, err)
	}
	return err
}

// sdkLogger sends the SDK's own log lines (retry and body-discard warnings)
// through the run's zerolog logger, so stderr stays one JSON object a line.
// The SDK logs no request or response contents unless ClientLogMode asks.
func sdkLogger(log *zerolog.Logger) logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...interface{}) {
		ev := log.Debug()
		if c == logging.Warn {
			ev = log.Warn()
		}
		ev.Str("source", "aws-sdk").Msgf(format, v...)
	})
}
