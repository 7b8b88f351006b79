package credcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rs/zerolog"

	"github.com/podcred/podcred/pkg/podiam"
)

// defaultRegion is used when neither AWS_REGION nor a shared config names
// one, so that STS can still be reached; EKS always injects AWS_REGION.
const defaultRegion = "us-east-1"

// Collector names, as recorded in Facts.Unfinished.
const (
	collectorSTS       = "sts"
	collectorCrossRole = "cross-role"
	collectorChain     = "chain"
	collectorIMDS      = "imds"
)

// Collect gathers the facts the agent checks judge. Local facts come first,
// every file read through the bounded-read guard (bounded.go), so none can
// block or grow; then the explicit STS calls, the SDK default chain, the IMDS
// probes and the cross-role attempts run concurrently, each bounded, so the
// slowest of them (not their sum) sets the run's latency.
//
// ctx carries the run's single deadline, and Collect returns by it whatever
// the collectors do: a collector that has not answered then is recorded in
// Facts.Unfinished (its checks become errors naming the reason) and its late
// answer is dropped. Every collector works under ctx, so each ends with it.
func Collect(ctx context.Context, o Options) Facts {
	o = o.withDefaults()
	log := zerolog.Ctx(ctx)
	f := Facts{Now: o.Now().UTC(), Audience: o.Audience, Pod: o.Pod}
	if dl, ok := ctx.Deadline(); ok {
		f.RunDeadline = dl
	}
	f.RoleARN = o.getenv(podiam.EnvRoleARN)
	f.TokenFile = o.getenv(podiam.EnvTokenFile)
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
	if endpoint, skip := o.imdsEndpoint(); !skip {
		if err := ValidateIMDSEndpoint(endpoint); err != nil {
			f.IMDS = &IMDSResult{Endpoint: endpoint, Err: err}
		}
	}

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
	client := sts.NewFromConfig(cfg)
	session := SessionName(f.Pod.Name, f.Now)
	_, roleErr := podiam.ParseRoleARN(f.RoleARN)
	canAssume := roleErr == nil && token != nil && f.ClaimsErr == nil && f.ConfigErr == nil

	// The results channel is buffered for every collector, so one that
	// answers after Collect returned never blocks.
	type answer struct {
		name  string
		apply func(*Facts)
	}
	results := make(chan answer, 4)
	pending := map[string]bool{}
	run := func(name string, fn func() func(*Facts)) {
		pending[name] = true
		go func() {
			start := time.Now()
			apply := fn()
			log.Debug().Str("collector", name).Dur("took", time.Since(start)).Msg("collected")
			results <- answer{name, apply}
		}()
	}
	roleARN := f.RoleARN // collectors read locals, never f, which only this goroutine writes
	if canAssume {
		run(collectorSTS, func() func(*Facts) {
			a, c := assumeRole(ctx, client, roleARN, session, token, o.CallTimeout)
			return func(f *Facts) { f.Assume, f.Caller = a, c }
		})
		if len(o.DenyRoleARNs) > 0 {
			run(collectorCrossRole, func() func(*Facts) {
				d := crossRole(ctx, client, o.DenyRoleARNs, session, token, o.CallTimeout)
				return func(f *Facts) { f.DenyRoles = d }
			})
		}
	}
	if f.Chain == nil && o.ExperimentSDK == SDKGoV1 && f.TokenReadErr != nil {
		// v1's web identity provider reads the token with ioutil.ReadFile: keep
		// an unsafe token from it, as the v2 path does with its own reader.
		f.Chain = &ChainResult{SDK: o.sdkName(), LoadErr: fmt.Errorf("the SDK would read %s: %w", f.TokenFile, f.TokenReadErr)}
	}
	if f.Chain == nil {
		webIdentity := f.RoleARN != "" && f.TokenFile != ""
		region := cfg.Region
		run(collectorChain, func() func(*Facts) {
			var c *ChainResult
			if o.ExperimentSDK == SDKGoV1 {
				c = probeChainV1(ctx, o, region, nil, client, webIdentity)
			} else {
				c = probeChain(ctx, cfg, client, o.CallTimeout, webIdentity)
			}
			return func(f *Facts) { f.Chain = c }
		})
	}
	if f.IMDS == nil {
		run(collectorIMDS, func() func(*Facts) {
			m := probeIMDS(ctx, o)
			return func(f *Facts) { f.IMDS = m }
		})
	}
	for len(pending) > 0 {
		select {
		case a := <-results:
			a.apply(&f)
			delete(pending, a.name)
		case <-ctx.Done():
			reason := "no answer before the run's deadline (--timeout)"
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = "the run was cancelled (SIGTERM or SIGINT) before it answered"
			}
			f.Unfinished = map[string]string{}
			for name := range pending {
				f.Unfinished[name] = reason
				log.Warn().Str("collector", name).Msg(reason)
			}
			return f
		}
	}
	return f
}
