package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// benchOptions are the flags of `bench`.
type benchOptions struct {
	commonOptions
	world string
	agent string
	runs  int
	out   string

	auditSAs, auditRoles int
	auditLatency         time.Duration
	preflight            string
}

// newBenchCmd builds `podcred-sandbox bench`: the agent's whole verification
// against the same two STS calls made with the AWS CLI, interleaved in one run.
func newBenchCmd() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time podcred-agent against the same STS calls made with the AWS CLI, side by side, and write Markdown",
		Long: `bench starts the sandbox, takes the "healthy" scenario of --world, and runs --runs times, interleaved:
  agent:  podcred-agent --format json --sink stdout (every check: token, 2x AssumeRoleWithWebIdentity,
          2x GetCallerIdentity, IMDS probes)
  aws:    aws sts assume-role-with-web-identity, then aws sts get-caller-identity with the issued keys
It reports median and p95 wall time, the ratio, the agent's binary size and peak RSS, as Markdown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), cmd.OutOrStdout()) },
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.world, "world", "examples/worlds/demo.yaml", "world with a \"healthy\" scenario")
	cmd.Flags().StringVar(&o.agent, "agent", "", "podcred-agent binary (default: <bin-dir>/podcred-agent)")
	cmd.Flags().IntVar(&o.runs, "runs", 30, "runs of each side")
	cmd.Flags().StringVar(&o.out, "out", "", "also write the Markdown to this file")
	cmd.Flags().IntVar(&o.auditSAs, "audit-sas", 1000, "ServiceAccounts in the audit benchmark (0: skip it)")
	cmd.Flags().IntVar(&o.auditRoles, "audit-roles", 50, "IAM roles the audit benchmark's ServiceAccounts share")
	cmd.Flags().DurationVar(&o.auditLatency, "audit-latency", 50*time.Millisecond, "latency the STS front adds to every AWS call during the audit")
	cmd.Flags().StringVar(&o.preflight, "preflight", "", "podcred-preflight binary (default: <bin-dir>/podcred-preflight)")
	return cmd
}

func (o *benchOptions) run(ctx context.Context, stdout io.Writer) error {
	log, err := o.logger()
	if err != nil {
		return err
	}
	if o.agent, err = o.agentBinary(o.agent); err != nil {
		return err
	}
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		return cli.UsageError(fmt.Errorf("the AWS CLI is needed for the comparison: %w", err))
	}
	w, err := world.LoadWorld(o.world)
	if err != nil {
		return cli.UsageError(err)
	}
	i := slices.IndexFunc(w.Scenarios, func(s world.Scenario) bool { return s.Name == "healthy" })
	if i < 0 {
		return cli.UsageError(fmt.Errorf("%s has no scenario named healthy", o.world))
	}
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: o.dir, BinDir: o.binDir, World: w, Logger: log})
	if err != nil {
		return err
	}
	defer sb.Close()
	env, err := sb.ScenarioEnv(ctx, w.Scenarios[i])
	if err != nil {
		return err
	}
	log.Info().Int("runs", o.runs).Msg("benchmarking agent and AWS CLI, interleaved")
	var agent, cli []sample
	for n := 0; n < o.runs; n++ {
		a, err := o.agentRun(ctx, env)
		if err != nil {
			return err
		}
		c, err := cliRun(ctx, awsCLI, env)
		if err != nil {
			return err
		}
		agent, cli = append(agent, a), append(cli, c)
	}
	info, err := os.Stat(o.agent)
	if err != nil {
		return err
	}
	md := benchMarkdown(agent, cli, info.Size())
	if err := sb.Close(); err != nil {
		return err
	}
	if o.auditSAs > 0 {
		audit, err := o.auditBench(ctx)
		if err != nil {
			return err
		}
		md += "\n" + audit
	}
	fmt.Fprint(stdout, md)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(md), 0o644)
	}
	return nil
}

// agentRun runs the agent once and checks it passed.
func (o *benchOptions) agentRun(ctx context.Context, env []string) (sample, error) {
	s, out, err := timed(ctx, env, o.agent, "--format", "json", "--sink", "stdout")
	if err != nil {
		return s, fmt.Errorf("agent: %w", err)
	}
	var r report.Report
	if err := json.Unmarshal(out, &r); err != nil || r.Verdict != report.VerdictPass {
		return s, fmt.Errorf("agent did not pass on the healthy scenario (verdict %q): the benchmark would be meaningless", r.Verdict)
	}
	return s, nil
}

// cliRun makes the same two STS calls with the AWS CLI. The issued keys go
// only into the second process's environment; nothing is printed.
func cliRun(ctx context.Context, aws string, env []string) (sample, error) {
	get := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	base := append(slices.Clone(env), "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	s1, out, err := timed(ctx, base, aws, "sts", "assume-role-with-web-identity", "--output", "json",
		"--endpoint-url", get("AWS_ENDPOINT_URL_STS"), "--region", get("AWS_REGION"),
		"--role-arn", get(podiam.EnvRoleARN), "--role-session-name", "bench", "--web-identity-token", "file://"+get(podiam.EnvTokenFile))
	if err != nil {
		return s1, fmt.Errorf("aws sts assume-role-with-web-identity: %w", err)
	}
	var res struct {
		Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken string }
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Credentials.AccessKeyID == "" {
		return s1, fmt.Errorf("aws sts assume-role-with-web-identity gave no credentials")
	}
	keyed := append(slices.Clone(base), "AWS_ACCESS_KEY_ID="+res.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+res.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN="+res.Credentials.SessionToken)
	s2, _, err := timed(ctx, keyed, aws, "sts", "get-caller-identity", "--output", "json",
		"--endpoint-url", get("AWS_ENDPOINT_URL_STS"), "--region", get("AWS_REGION"))
	if err != nil {
		return s2, fmt.Errorf("aws sts get-caller-identity: %w", err)
	}
	return sample{wall: s1.wall + s2.wall, cpu: s1.cpu + s2.cpu, maxRSS: max(s1.maxRSS, s2.maxRSS)}, nil
}

// auditBench audits a generated world of o.auditSAs ServiceAccounts sharing
// o.auditRoles roles, with o.auditLatency added to every AWS call by the STS
// front, and reports the wall time and the AWS calls by action.
func (o *benchOptions) auditBench(ctx context.Context) (string, error) {
	log, err := o.logger()
	if err != nil {
		return "", err
	}
	bin := o.preflight
	if bin == "" {
		bin = filepath.Join(o.binDir, "podcred-preflight")
	}
	w, err := world.ScaleWorld(o.auditSAs, o.auditRoles, 20)
	if err != nil {
		return "", err
	}
	log.Info().Int("serviceAccounts", o.auditSAs).Int("roles", o.auditRoles).Stringer("latency", o.auditLatency).Msg("starting the audit world")
	sb, err := sandbox.Start(ctx, sandbox.Options{BinDir: o.binDir, World: w, Logger: log, Latency: o.auditLatency})
	if err != nil {
		return "", err
	}
	defer sb.Close()
	sb.Front().ResetCalls()
	env := append(sb.Env(), "PATH="+os.Getenv("PATH"), "HOME="+sb.Dir())
	s, out, err := timed(ctx, env, bin, "audit", "-A", "--format", "json")
	// The world is healthy: audit exits 0 or 4 (warnings such as unscoped wildcards).
	if err != nil && len(out) == 0 {
		return "", fmt.Errorf("podcred-preflight audit: %w", err)
	}
	calls, total := sb.Front().Calls(), 0
	keys := make([]string, 0, len(calls))
	for k, n := range calls {
		keys = append(keys, k)
		total += n
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "## audit -A over %d ServiceAccounts sharing %d roles, %s added to every AWS call\n\n", o.auditSAs, o.auditRoles, o.auditLatency)
	fmt.Fprintf(&b, "Wall time: **%.2f s** (target <= 5 s). AWS calls: **%d** for %d roles (they must grow with roles, not ServiceAccounts):\n\n", s.wall.Seconds(), total, o.auditRoles)
	b.WriteString("| call | count |\n|---|---|\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "| %s | %d |\n", k, calls[k])
	}
	return b.String(), nil
}
