package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/report"
)

// demoOptions are the flags of `demo`.
type demoOptions struct {
	commonOptions
	worlds    string
	agent     string
	preflight string
	node      bool
}

// newDemoCmd builds `podcred-sandbox demo`.
func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the tour: podcred-agent on a healthy ServiceAccount and on each classic misconfiguration, then a verdict table",
		Long: `demo starts the sandbox with demo.yaml from --worlds, runs the podcred-agent binary as the pod of every
scenario the world lists (real token, real STS front, real ConfigMap/annotation/Event sinks), then loads each
other world file of that directory that has scenarios (no-oidc-provider.yaml, wrong-audience.yaml) and does
the same. It prints one row per scenario and exits 3 when a verdict differs from the expected one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.worlds, "worlds", "examples/worlds", "directory of world files; demo.yaml comes first")
	cmd.Flags().StringVar(&o.agent, "agent", "", "podcred-agent binary (default: <bin-dir>/podcred-agent)")
	cmd.Flags().BoolVar(&o.node, "node", false, "also start the real node and run deploy/job.yaml on it first (needs root and `make tools build`)")
	return cmd
}

// run starts the sandbox, runs the agent on every scenario of every world and prints the table.
func (o *demoOptions) run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	log, err := o.logger()
	if err != nil {
		return err
	}
	if o.agent, err = o.agentBinary(o.agent); err != nil {
		return err
	}
	o.preflight = filepath.Join(o.binDir, "podcred-preflight")
	if _, err := os.Stat(o.preflight); err != nil {
		return cli.UsageError(fmt.Errorf("%s is missing: build it with `make build`", o.preflight))
	}
	worlds, err := tourWorlds(o.worlds)
	if err != nil {
		return cli.UsageError(err)
	}

	var sb *sandbox.Sandbox
	defer func() {
		if sb != nil {
			_ = sb.Close()
		}
	}()
	out := cmd.OutOrStdout()
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "WORLD\tSCENARIO\tEXPECTED\tAGENT\tAGENT FINDINGS\tTIME\tPREFLIGHT\tPREFLIGHT FINDINGS\tRESULT")
	unexpected := 0
	for _, w := range worlds {
		started := time.Now()
		if sb == nil {
			log.Info().Str("world", w.Path).Msg("starting the sandbox (first run: about 5s)")
			if sb, err = sandbox.Start(ctx, sandbox.Options{Dir: o.dir, BinDir: o.binDir, World: w.World, Logger: log, Node: o.node}); err != nil {
				return err
			}
			if o.node {
				if err := nodeJobLine(ctx, out, sb); err != nil {
					return err
				}
			}
		} else {
			log.Info().Str("world", w.Path).Msg("loading world")
			if err := sb.Load(ctx, w.World); err != nil {
				return fmt.Errorf("load %s: %w", w.Path, err)
			}
		}
		log.Info().Stringer("took", time.Since(started).Round(time.Millisecond)).Msg("world ready")
		for _, sc := range sb.World().Scenarios {
			run, where, err := o.runScenario(ctx, sb, sc)
			if err != nil {
				return err
			}
			ok, why := run.AsExpected()
			result := "ok"
			if !ok {
				unexpected++
				result = "UNEXPECTED: " + why
			}
			expected := expectedColumn(sc)
			findings := strings.Join(run.Findings(), ", ")
			if findings == "" {
				findings = "-"
			}
			pv, pf, pwhy, err := o.preflightRun(cmd.Context(), sb, sc)
			if err != nil {
				return err
			}
			if pwhy != "" && ok {
				unexpected, result = unexpected+1, "UNEXPECTED: preflight "+pwhy
			}
			fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", filepath.Base(w.Path), sc.Name+where, expected, run.Verdict(), findings,
				run.Elapsed.Round(time.Millisecond), pv, pf, result)
		}
	}
	if err := table.Flush(); err != nil {
		return err
	}
	return summary(out, unexpected)
}

// summary prints the closing line; unexpected verdicts exit 3.
func summary(out io.Writer, unexpected int) error {
	if unexpected > 0 {
		fmt.Fprintf(out, "\n%d scenario(s) did not end as expected\n", unexpected)
		return &cli.ExitError{Code: cli.ExitFail, Err: errors.New("the tour found unexpected verdicts")}
	}
	fmt.Fprintln(out, "\nevery scenario ended as expected (EXPECTED is the agent's verdict and the check that carries it)")
	fmt.Fprintln(out, `
AGENT is podcred-agent run as the scenario's pod: does this pod get its own role, and only it?
PREFLIGHT is podcred-preflight check for the scenario's ServiceAccount, from outside: is the whole
set-up right? They answer different questions. In demo.yaml litmus/litmus-admin is right in every
step, so both columns pass. litmus-legacy holds the same experiment before step 5 was finished:
cloud-secret still mounted, a role policy that lacks an action of the fault, and a ChaosEngine
whose podcred probe has no stopOnFailure (litmus-go would record a failed verdict and inject the
fault anyway); preflight fails it while the agent only warns, as the pod's own role works. Faults
that change only a pod's environment (static keys, an IMDS endpoint) are visible to the agent alone;
a node whose metadata options let pods reach IMDS (imds-open-node.yaml) fails both columns, and static
keys in a Secret of any name (renamed-secret.yaml) are judged by preflight from the Secret's content.`)
	return nil
}

// tourWorld is a world file of the tour.
type tourWorld struct {
	Path  string
	World *world.World
}

// tourWorlds loads demo.yaml, then every other world of dir with scenarios, by name.
func tourWorlds(dir string) ([]tourWorld, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Slice(paths, func(i, j int) bool {
		di, dj := filepath.Base(paths[i]) == "demo.yaml", filepath.Base(paths[j]) == "demo.yaml"
		if di != dj {
			return di
		}
		return paths[i] < paths[j]
	})
	var out []tourWorld
	for _, p := range paths {
		w, err := world.LoadWorld(p)
		if err != nil {
			return nil, err
		}
		if len(w.Scenarios) > 0 {
			out = append(out, tourWorld{Path: p, World: w})
		}
	}
	if len(out) == 0 || filepath.Base(out[0].Path) != "demo.yaml" {
		return nil, fmt.Errorf("%s: no demo.yaml with scenarios", dir)
	}
	return out, nil
}

// preflightRun checks the scenario's ServiceAccount from outside with
// podcred-preflight (admin credentials, like a CI job) and returns its verdict
// and the checks that did not pass. The tour expects nothing of it: it shows
// which misconfigurations are visible before any pod runs.
func (o *demoOptions) preflightRun(ctx context.Context, sb *sandbox.Sandbox, sc world.Scenario) (verdict, findings, unexpected string, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, o.preflight, preflightArgs(sb.World(), sc)...)
	c.Env = append(sb.Env(), "PATH="+os.Getenv("PATH"), "HOME="+sb.Dir())
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	_ = c.Run() // the exit code follows the verdict, which the report carries
	var r report.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return "", "", "", fmt.Errorf("podcred-preflight check for %s/%s printed no report: %v: %.300s", sc.Namespace, sc.ServiceAccount, err, stderr.String())
	}
	_, why := preflightAsExpected(&r, sc)
	var ids []string
	for _, ch := range r.Checks {
		if ch.Status == report.StatusFail || ch.Status == report.StatusError || ch.Status == report.StatusWarn {
			ids = append(ids, ch.ID+"="+string(ch.Status))
		}
	}
	if len(ids) == 0 {
		return string(r.Verdict), "-", why, nil
	}
	if len(ids) > 3 {
		ids = append(ids[:3], fmt.Sprintf("+%d", len(ids)-3))
	}
	return string(r.Verdict), strings.Join(ids, ", "), why, nil
}
