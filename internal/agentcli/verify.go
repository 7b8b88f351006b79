package agentcli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// verifyOptions are the flags of `podcred-agent verify` (Complete/Validate/Run).
type verifyOptions struct {
	format       string
	sinks        []string
	kubeconfig   string
	audience     string
	denyRoleARNs []string
	imdsEndpoint string
	imdsTimeout  time.Duration
	timeout      time.Duration
	strict       bool
	logLevel     string
	sdk          string

	streams Streams
	parsed  report.Format
	color   bool
	// podSinks is set when the Kubernetes sinks were chosen by default (in a pod),
	// not asked for: failing to reach the apiserver then still runs the checks.
	podSinks bool
}

// DefaultTimeout bounds a whole verification run.
const DefaultTimeout = 30 * time.Second

func newVerifyCommand(s Streams) *cobra.Command {
	o := &verifyOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run every credential check and publish the report (the default command)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ApplyEnv(cmd, s.LookupEnv); err != nil {
				return err
			}
			if err := o.complete(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "stdout format: text, json, junit or markdown (default json unless stdout is a terminal)")
	f.StringSliceVar(&o.sinks, "sink", nil, "where to publish: stdout, configmap, annotation, event, file=PATH "+
		"(default stdout, plus configmap,annotation,event in a pod)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig for the Kubernetes sinks outside a cluster (default: in-cluster config)")
	f.StringVar(&o.audience, "audience", podiam.DefaultAudience, "token audience the IAM OIDC provider expects")
	f.StringSliceVar(&o.denyRoleARNs, "deny-role-arn", nil, "a role this token must NOT be able to assume (repeatable)")
	f.StringVar(&o.imdsEndpoint, "imds-endpoint", "", "IMDS endpoint to probe (default $AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254)")
	f.DurationVar(&o.imdsTimeout, "imds-timeout", credcheck.DefaultIMDSTimeout, "bound on each IMDS probe")
	f.DurationVar(&o.timeout, "timeout", DefaultTimeout, "bound on the whole run, sinks included")
	f.BoolVar(&o.strict, "strict", false, "exit 4 on a warn verdict")
	f.StringVar(&o.sdk, "experiment-sdk", credcheck.SDKGoV2, "SDK whose default chain judges chain.source, as the experiment uses it: "+
		strings.Join(credcheck.ExperimentSDKs, ", ")+" (litmus-go: go-v1, aws-sdk-go v1.38.59)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
	return cmd
}

// inPod reports whether the agent runs in a pod that can publish its report.
func (o *verifyOptions) inPod() bool {
	get := func(k string) string { v, _ := o.streams.LookupEnv(k); return v }
	return get(credcheck.EnvPodName) != "" && get(credcheck.EnvPodNamespace) != "" && get("KUBERNETES_SERVICE_HOST") != ""
}

func (o *verifyOptions) complete() error {
	if o.format == "" {
		o.format = string(report.FormatJSON)
		if cli.IsTerminal(o.streams.Out) {
			o.format = string(report.FormatText)
		}
		o.color = cli.IsTerminal(o.streams.Out)
	}
	f, err := report.ParseFormat(o.format)
	if err != nil {
		return cli.UsageError(err)
	}
	o.parsed = f
	if len(o.sinks) == 0 {
		o.sinks = []string{"stdout"}
		if o.inPod() {
			o.sinks = append(o.sinks, "configmap", "annotation", "event")
			o.podSinks = true
		}
	}
	if !slices.Contains(credcheck.ExperimentSDKs, o.sdk) {
		return cli.UsageError(fmt.Errorf("--experiment-sdk %q: valid values are %s", o.sdk, strings.Join(credcheck.ExperimentSDKs, ", ")))
	}
	if o.timeout <= 0 || o.imdsTimeout <= 0 {
		return cli.UsageError(errors.New("--timeout and --imds-timeout must be positive"))
	}
	if err := o.validateIMDSEndpoint(); err != nil {
		return err
	}
	for _, arn := range o.denyRoleARNs {
		if _, err := podiam.ParseRoleARN(arn); err != nil {
			return cli.UsageError(fmt.Errorf("--deny-role-arn: %w", err))
		}
	}
	_, err = parseSinks(o.sinks)
	return err
}

func (o *verifyOptions) run(ctx context.Context) error {
	log, err := cli.NewLogger(o.streams.Err, o.logLevel)
	if err != nil {
		return err
	}
	ctx, stop := cli.SignalContext(ctx)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	ctx = log.WithContext(ctx)

	specs, _ := parseSinks(o.sinks)
	var failed []string
	sinks, err := o.buildSinks(specs)
	if err != nil && o.podSinks {
		// In a pod without API access (automountServiceAccountToken: false):
		// verify anyway and print the report, then fail closed on publishing.
		log.Error().Err(err).Msg("the Kubernetes sinks are unavailable; the report goes to stdout only")
		failed = []string{"configmap", "annotation", "event"}
		sinks, err = o.buildSinks([]sinkSpec{{kind: "stdout"}})
	}
	if err != nil {
		return err
	}
	o.markPending(ctx, sinks, time.Now())
	r := credcheck.Verify(ctx, credcheck.Options{
		Audience:      o.audience,
		DenyRoleARNs:  o.denyRoleARNs,
		IMDSEndpoint:  o.imdsEndpoint,
		IMDSTimeout:   o.imdsTimeout,
		ExperimentSDK: o.sdk,
		LookupEnv:     o.streams.LookupEnv,
	})
	log.Info().Str("verdict", string(r.Verdict)).Str("roleArn", r.Subject.RoleArn).
		Strs("failing", r.FailingIDs()).Msg("verification finished")

	for _, s := range sinks {
		if err := s.Write(ctx, r); err != nil {
			log.Error().Err(err).Str("sink", s.Name()).Msg("could not publish the report")
			failed = append(failed, s.Name())
		}
	}
	code := cli.ExitCode(r.Verdict, o.strict)
	if len(failed) > 0 {
		// A gate reading the sink would see a stale or missing report: fail closed.
		return &cli.ExitError{Code: cli.ExitUnverified,
			Err: fmt.Errorf("verdict %s, but the report could not be published to %s", r.Verdict, strings.Join(failed, ", "))}
	}
	if code != cli.ExitPass {
		return cli.Silent(code)
	}
	return nil
}
