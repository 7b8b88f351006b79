// Package preflightcli is podcred-preflight's command line: `check` judges
// the IRSA set-up of one ServiceAccount from outside the cluster (optionally
// running the agent as a Job under it), `audit` checks every ServiceAccount
// that carries a role annotation. Kubernetes flags follow kubectl
// (k8s.io/cli-runtime); AWS follows the SDK's default chain and
// AWS_ENDPOINT_URL*.
package preflightcli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/preflight"
)

// Streams are the command's standard streams and environment.
type Streams struct {
	Out, Err  io.Writer
	LookupEnv func(string) (string, bool)
}

// DefaultStreams are the process's own.
func DefaultStreams() Streams {
	return Streams{Out: os.Stdout, Err: os.Stderr, LookupEnv: os.LookupEnv}
}

// Clients are what a run talks to.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// REST is the Kubernetes client configuration (for the local Job runner).
	REST *rest.Config
	IAM  preflight.IAMAPI
	EKS  preflight.DescribeClusterAPI
	// EC2 reads the nodes' metadata options (nodes.imds); nil skips that check.
	EC2 preflight.DescribeInstancesAPI
}

// Deps are the injection points of the command: tests replace the clients,
// the sandbox's e2e suite replaces the Job runner. Zero fields take the
// defaults.
type Deps struct {
	// Kube builds the Kubernetes clients from the kubectl flags (default: NewKubeClients).
	Kube func(*genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error)
	// AWS builds the IAM and EKS clients (default: NewAWSClients, the SDK's default chain).
	AWS func(ctx context.Context, callTimeout time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error)
	// EC2 builds the EC2 client for nodes.imds (default: NewEC2Client when AWS
	// is the default too; nil otherwise, so that injected fakes never reach
	// real AWS, and nodes.imds skips).
	EC2 func(ctx context.Context, callTimeout time.Duration) (preflight.DescribeInstancesAPI, error)
	// JobRunner runs the verification Job's pod where no kubelet does.
	// Default nil: the cluster runs it; --local-agent PATH sets a LocalAgentRunner.
	JobRunner preflight.JobRunner
}

// NewCommand builds `podcred-preflight` with its `check` and `audit` subcommands.
func NewCommand(s Streams, d Deps) *cobra.Command {
	if d.Kube == nil {
		d.Kube = NewKubeClients
	}
	if d.AWS == nil {
		d.AWS = NewAWSClients
		if d.EC2 == nil {
			d.EC2 = NewEC2Client
		}
	}
	g := &globalOptions{streams: s, deps: d, kube: genericclioptions.NewConfigFlags(false)}
	root := &cobra.Command{
		Use:   "podcred-preflight",
		Short: "Check the IRSA set-up of chaos experiment ServiceAccounts from outside the cluster",
		Long: `podcred-preflight checks every step of the IRSA set-up a chaos experiment needs — IAM OIDC provider,
role and trust policy, permissions for the faults, ServiceAccount annotation, pod injection, no static
credentials — from a laptop or a CI job, and prints the command that fixes each failure.

Exit codes: 0 pass (or warn without --strict), 3 fail, 1 could not verify, 2 bad usage, 4 warn with --strict.
Every flag also reads PODCRED_<FLAG> from the environment (--call-timeout: PODCRED_CALL_TIMEOUT).`,
		Example: `  podcred-preflight check -n litmus --service-account litmus-admin
  podcred-preflight audit -A --cluster chaos-lab`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	g.addFlags(root)
	root.AddCommand(newCheckCommand(g), newAuditCommand(g), newLintCommand(g))
	return root
}

// runE is a subcommand's RunE: the PODCRED_<FLAG> environment, then
// complete (flags to options, validation), then run.
func (g *globalOptions) runE(complete func() error, run func(context.Context) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := cli.ApplyEnv(cmd, g.streams.LookupEnv); err != nil {
			return err
		}
		if err := complete(); err != nil {
			return err
		}
		return run(cmd.Context())
	}
}

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	streams Streams
	deps    Deps
	kube    *genericclioptions.ConfigFlags

	format      string
	strict      bool
	logLevel    string
	timeout     time.Duration
	callTimeout time.Duration
	cluster     string
	issuer      string
	audience    string
	faults      []string
}

// Defaults of the global flags.
const (
	DefaultTimeout     = 5 * time.Minute
	DefaultCallTimeout = 10 * time.Second
)

func (g *globalOptions) addFlags(root *cobra.Command) {
	// kubectl's --cluster names a kubeconfig cluster; here --cluster is the
	// EKS cluster (DESIGN.md), so that one kubectl flag is left out.
	g.kube.ClusterName = nil
	g.kube.AddFlags(root.PersistentFlags())
	f := root.PersistentFlags()
	f.StringVar(&g.format, "format", "", "output: text, json, junit or markdown; lint also sarif (default text on a terminal, json otherwise)")
	f.BoolVar(&g.strict, "strict", false, "exit 4 on a warn verdict")
	f.StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	f.DurationVar(&g.timeout, "timeout", DefaultTimeout, "bound on the whole run")
	f.DurationVar(&g.callTimeout, "call-timeout", DefaultCallTimeout, "bound on each AWS and Kubernetes call, retries included")
	f.StringVar(&g.cluster, "cluster", "", "EKS cluster name: its OIDC issuer is read with eks:DescribeCluster")
	f.StringVar(&g.issuer, "issuer", "", "the cluster's OIDC issuer URL (instead of --cluster); default: the API server's discovery document")
	f.StringVar(&g.audience, "audience", "", "token audience (default: the SA's eks.amazonaws.com/audience annotation, else sts.amazonaws.com)")
	f.StringSliceVar(&g.faults, "fault", nil, "a chaos fault the role must allow (repeatable; default: the faults of the namespace's ChaosExperiments; list them with check --list-faults)")
}

// complete validates the shared flags.
func (g *globalOptions) complete() error {
	if g.timeout <= 0 || g.callTimeout <= 0 {
		return usage("--timeout and --call-timeout must be positive")
	}
	if g.issuer != "" && g.cluster != "" {
		return usage("give --cluster or --issuer, not both")
	}
	if g.issuer != "" {
		if err := validIssuer(g.issuer); err != nil {
			return usage("--issuer: %v", err)
		}
	}
	cat, err := preflight.DefaultFaultCatalogue()
	if err != nil {
		return err
	}
	if _, unknown := cat.Resolve(g.faults); len(unknown) > 0 {
		return usage("unknown --fault %v: known faults are %v", unknown, cat.Names())
	}
	return nil
}

// run prepares the context (logger, signals, deadline) and the clients.
func (g *globalOptions) run(ctx context.Context) (context.Context, context.CancelFunc, Clients, error) {
	log, err := cli.NewLogger(g.streams.Err, g.logLevel)
	if err != nil {
		return nil, nil, Clients{}, err
	}
	ctx, stop := cli.SignalContext(ctx)
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	ctx = log.WithContext(ctx)
	done := func() { cancel(); stop() }
	var c Clients
	c.Kube, c.Dynamic, c.REST, err = g.deps.Kube(g.kube)
	if err != nil {
		done()
		return nil, nil, Clients{}, usage("kubernetes: %v", err)
	}
	c.IAM, c.EKS, err = g.deps.AWS(ctx, g.callTimeout)
	if err == nil && g.deps.EC2 != nil {
		c.EC2, err = g.deps.EC2(ctx, g.callTimeout)
	}
	if err != nil {
		done()
		return nil, nil, Clients{}, fmt.Errorf("aws: %w", err)
	}
	return ctx, done, c, nil
}

// base returns the preflight options the shared flags set.
func (g *globalOptions) base(c Clients) preflight.Options {
	o := preflight.Options{
		Cluster: g.cluster, Issuer: g.issuer, Audience: g.audience, Faults: g.faults,
		Kube: preflight.NewKubeSource(c.Kube, c.Dynamic), EKS: c.EKS, IAM: c.IAM, EC2: c.EC2, CallTimeout: g.callTimeout,
	}
	o.Kube.Timeout = g.callTimeout
	o.PodIdentity = podIdentitySource(c.EKS)
	if g.issuer == "" && g.cluster == "" {
		o.DiscoverIssuer = func(ctx context.Context) (string, error) {
			return preflight.IssuerFromAPIServer(ctx, c.Kube, g.callTimeout)
		}
	}
	return o
}
