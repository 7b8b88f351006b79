package agentcli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/verdict"
)

// gateOptions are the flags of `podcred-agent gate`.
type gateOptions struct {
	namespace      string
	serviceAccount string
	configMap      string
	roleARN        string
	maxAge         time.Duration
	strict         bool
	allowWarn      bool // deprecated: warn opens by default
	kubeconfig     string
	timeout        time.Duration
}

func newGateCommand(s Streams) *cobra.Command {
	o := &gateOptions{}
	cmd := &cobra.Command{
		Use:   "gate --service-account SA",
		Short: "Exit 0 only when a fresh podcred report for the ServiceAccount says pass (or warn)",
		Long: `gate reads the report ConfigMap (podcred-<sa>) written by the agent and exits 0 only when the
gate contract lets it open: the report is podcred's, complete (every check this agent version
publishes, the identity checks passed), for this namespace, ServiceAccount (and role, when --role-arn
or AWS_ROLE_ARN is set), no older than --max-age, not dated in the future, unexpired, and says pass —
or warn, unless --strict. Otherwise it says why in one line and exits 3 (the report says fail),
4 (warn refused by --strict) or 1 (no usable report). For Litmus cmdProbes and scripts.`,
		Example: `  # Litmus cmdProbe (mode SOT, runProperties.stopOnFailure: true)
  podcred-agent gate --service-account litmus-admin --max-age 1h
  # refuse warn verdicts too
  podcred-agent gate --service-account litmus-admin --max-age 15m --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ApplyEnv(cmd, s.LookupEnv); err != nil {
				return err
			}
			if o.namespace == "" {
				o.namespace, _ = s.LookupEnv(credcheck.EnvPodNamespace)
			}
			if o.roleARN == "" {
				o.roleARN, _ = s.LookupEnv(podiam.EnvRoleARN)
			}
			if o.serviceAccount == "" || o.namespace == "" {
				return cli.UsageError(fmt.Errorf("gate needs --service-account and --namespace (or POD_NAMESPACE)"))
			}
			c, err := cli.CoreClient(o.kubeconfig, "")
			if err != nil {
				return cli.UsageError(err)
			}
			r, err := verdict.Gate(cmd.Context(), c, verdict.GateOptions{
				Namespace: o.namespace, ServiceAccount: o.serviceAccount, ConfigMap: o.configMap,
				RoleArn: o.roleARN, MaxAge: o.maxAge, Strict: o.strict, Timeout: o.timeout,
				Required: credcheck.GateRequired, Proof: credcheck.GateProof,
			})
			if err != nil {
				return gateExit(err)
			}
			fmt.Fprintf(s.Out, "podcred: %s for %s/%s as %s, checked at %s\n", r.Verdict, o.namespace, o.serviceAccount,
				r.Subject.RoleArn, r.FinishedAt.Format(time.RFC3339))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the ServiceAccount (default $POD_NAMESPACE)")
	f.StringVar(&o.serviceAccount, "service-account", "", "ServiceAccount whose report gates the experiment (required)")
	f.StringVar(&o.configMap, "configmap", "", "report ConfigMap (default podcred-<service-account>)")
	f.StringVar(&o.roleARN, "role-arn", "", "role the report must be for (default $AWS_ROLE_ARN when set)")
	f.DurationVar(&o.maxAge, "max-age", verdict.DefaultMaxAge, "oldest report accepted (must be positive)")
	f.BoolVar(&o.strict, "strict", false, "refuse a warn verdict (exit 4)")
	f.BoolVar(&o.allowWarn, "allow-warn", false, "accept a warn verdict")
	_ = f.MarkDeprecated("allow-warn", "warn verdicts open the gate by default; use --strict to refuse them")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig outside a cluster (default: in-cluster config)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound on the API call")
	return cmd
}

// gateExit maps Gate's error to the exit error main resolves: unusable options
// exit ExitUsage (2); a refusal exits as its verdict read strictly — ExitFail
// (3) for a fail verdict, ExitWarnStrict (4) for a warn a strict gate refused,
// ExitUnverified (1) for everything else; any other error exits 1.
func gateExit(err error) error {
	var oe *verdict.OptionsError
	if errors.As(err, &oe) {
		return cli.UsageError(err)
	}
	var ge *verdict.GateError
	if errors.As(err, &ge) {
		return &cli.ExitError{Code: cli.ExitCode(ge.Verdict(), true), Err: err}
	}
	return err
}
