package preflightcli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// checkOptions are the flags of `podcred-preflight check` (Complete/Validate/Run).
type checkOptions struct {
	*globalOptions
	serviceAccount string
	roleARN        string
	experiment     string
	runJob         bool
	experimentSDK  string
	image          string
	jobTimeout     time.Duration
	keepJob        bool
	localAgent     string
	listFaults     bool

	namespace string
	parsed    report.Format
}

func newCheckCommand(g *globalOptions) *cobra.Command {
	o := &checkOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "check -n NAMESPACE --service-account SA",
		Short: "Check every IRSA set-up step for one ServiceAccount, with the fix for each failure",
		Example: `  podcred-preflight check -n litmus --service-account litmus-admin --cluster chaos-lab --fault ec2-stop-by-id
  podcred-preflight check -n litmus --service-account litmus-admin --issuer https://oidc.eks.us-east-1.amazonaws.com/id/ABC --run-job --format junit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ApplyEnv(cmd, g.streams.LookupEnv); err != nil {
				return err
			}
			if o.listFaults {
				return o.printFaults()
			}
			if err := o.complete(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.serviceAccount, "service-account", "", "the experiment ServiceAccount to check (required)")
	f.StringVar(&o.roleARN, "role-arn", "", "the role the ServiceAccount must be annotated with (default: whatever it carries)")
	f.StringVar(&o.experiment, "experiment", "", "check only this ChaosExperiment and the ChaosEngines that run it")
	f.BoolVar(&o.runJob, "run-job", false, "also run the agent as a one-off Job under the ServiceAccount and merge its verdict (job.verification)")
	f.StringVar(&o.experimentSDK, "experiment-sdk", preflight.DefaultExperimentSDK, "the experiment's SDK: podidentity.sdk judges whether it can use EKS Pod Identity, "+
		"and with --run-job the agent judges its chain: "+strings.Join(credcheck.ExperimentSDKs, ", ")+" (litmus-go: go-v1)")
	f.StringVar(&o.image, "image", preflight.DefaultAgentImage, "agent image for --run-job")
	f.DurationVar(&o.jobTimeout, "job-timeout", preflight.DefaultJobTimeout, "bound on waiting for the Job's verdict")
	f.BoolVar(&o.keepJob, "keep-job", false, "do not delete the Job after --run-job")
	f.StringVar(&o.localAgent, "local-agent", "", "run the Job's pod as this local podcred-agent binary instead of waiting for a kubelet (sandbox and tests)")
	f.BoolVar(&o.listFaults, "list-faults", false, "list the fault catalogue (name, aliases, IAM actions, sources) and exit")
	_ = f.MarkHidden("local-agent")
	return cmd
}

func (o *checkOptions) complete() error {
	if err := o.globalOptions.complete(); err != nil {
		return err
	}
	var err error
	if o.parsed, err = parseFormat(o.format, o.streams.Out); err != nil {
		return err
	}
	if o.serviceAccount == "" {
		return usage("--service-account is required")
	}
	if o.namespace, _, err = o.kube.ToRawKubeConfigLoader().Namespace(); err != nil {
		return usage("namespace: %v", err)
	}
	if o.roleARN != "" {
		if _, err := podiam.ParseRoleARN(o.roleARN); err != nil {
			return usage("--role-arn: %v", err)
		}
	}
	if o.jobTimeout <= 0 {
		return usage("--job-timeout must be positive")
	}
	if o.localAgent != "" && !o.runJob {
		return usage("--local-agent needs --run-job")
	}
	if !slices.Contains(credcheck.ExperimentSDKs, o.experimentSDK) {
		return usage("--experiment-sdk %q: valid values are %s", o.experimentSDK, strings.Join(credcheck.ExperimentSDKs, ", "))
	}
	return nil
}

func (o *checkOptions) run(ctx context.Context) error {
	ctx, done, c, err := o.globalOptions.run(ctx)
	if err != nil {
		return err
	}
	defer done()
	po := o.base(c)
	po.Namespace, po.ServiceAccount, po.RoleARN, po.Experiment = o.namespace, o.serviceAccount, o.roleARN, o.experiment
	po.ExperimentSDK = o.experimentSDK
	if o.runJob {
		runner := o.deps.JobRunner
		if o.localAgent != "" {
			runner = &LocalAgentRunner{Agent: o.localAgent, REST: c.REST, LookupEnv: o.streams.LookupEnv, Stderr: o.streams.Err}
		}
		jo := preflight.JobOptions{
			Namespace: o.namespace, ServiceAccount: o.serviceAccount, Image: o.image, Timeout: o.jobTimeout,
			Keep: o.keepJob, Runner: runner, ExperimentSDK: o.experimentSDK,
			Progress: func(s string) { fmt.Fprintf(o.streams.Err, "podcred-preflight: %s\n", s) },
		}
		po.Job = func(ctx context.Context, _ preflight.Facts) *preflight.JobFact {
			return preflight.RunVerificationJob(ctx, c.Kube, jo)
		}
	}
	r, _ := preflight.Run(ctx, po)
	if err := report.Render(o.streams.Out, r, o.parsed, o.parsed == report.FormatText && cli.IsTerminal(o.streams.Out)); err != nil {
		return err
	}
	if code := cli.ExitCode(r.Verdict, o.strict); code != cli.ExitPass {
		return cli.Silent(code)
	}
	return nil
}

// printFaults lists the embedded fault catalogue.
func (o *checkOptions) printFaults() error {
	cat, err := preflight.DefaultFaultCatalogue()
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, f := range cat.Faults() {
		fmt.Fprintf(&b, "%s", f.Name)
		if len(f.Aliases) > 0 {
			fmt.Fprintf(&b, " (also %s)", strings.Join(f.Aliases, ", "))
		}
		fmt.Fprintf(&b, " — %s\n  actions: %s\n", f.Title, strings.Join(f.Actions, ", "))
		if f.ServiceAccountNamespace != "" {
			fmt.Fprintf(&b, "  runs as a ServiceAccount of namespace %s\n", f.ServiceAccountNamespace)
		}
		for _, s := range f.Sources {
			fmt.Fprintf(&b, "  source: %s\n", s)
		}
	}
	_, err = fmt.Fprint(o.streams.Out, b.String())
	return err
}

// parseFormat resolves --format: text on a terminal, json otherwise.
func parseFormat(s string, out io.Writer) (report.Format, error) {
	if s == "" {
		if cli.IsTerminal(out) {
			return report.FormatText, nil
		}
		return report.FormatJSON, nil
	}
	f, err := report.ParseFormat(s)
	if err != nil {
		return "", cli.UsageError(err)
	}
	return f, nil
}
