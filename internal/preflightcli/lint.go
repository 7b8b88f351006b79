package preflightcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/lint"
	"github.com/podcred/podcred/pkg/report"
)

// lintOptions are the flags of `podcred-preflight lint` (Complete/Validate/Run).
type lintOptions struct {
	*globalOptions
	files  []string
	format string
}

// KindPreflightLint is the kind of lint's JSON document.
const KindPreflightLint = "PreflightLint"

// formatSARIF is lint's extra output format (SARIF 2.1.0 for code scanning).
const formatSARIF = "sarif"

func newLintCommand(g *globalOptions) *cobra.Command {
	o := &lintOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "lint -f PATH... [--issuer URL | --cluster NAME]",
		Short: "Judge IRSA set-ups from files (manifests, trust policies, Terraform plans): no cluster, no AWS",
		Long: `lint runs the preflight checks that files alone can judge — ServiceAccount annotation, trust policy
against the issuer, static keys and cloud-secret references, experiment.gate — over Kubernetes YAML,
trust-policy JSON, aws iam get-role output and Terraform JSON (plans and *.tf.json), with the same check
IDs as check. The others are reported as not judged. Directories are read recursively (.yaml, .yml, .json).

Exit codes: 3 when a check fails, 1 when a file could not be read (and nothing failed), 2 bad usage, else 0.`,
		Example: `  podcred-preflight lint -f deploy/ --issuer https://oidc.eks.us-east-1.amazonaws.com/id/ABC
  podcred-preflight lint -f k8s/ -f iam/plan.json --issuer "$ISSUER" --format sarif > podcred.sarif`,
		Args: cobra.NoArgs,
		RunE: g.runE(o.complete, o.run),
	}
	cmd.Flags().StringSliceVarP(&o.files, "filename", "f", nil, "file or directory to lint (repeatable, comma-separated)")
	return cmd
}

func (o *lintOptions) complete() error {
	if err := o.globalOptions.complete(); err != nil {
		return err
	}
	if len(o.files) == 0 {
		return usage("-f PATH is required: a file or directory to lint")
	}
	o.format = strings.ToLower(strings.TrimSpace(o.globalOptions.format))
	if o.format == formatSARIF {
		return nil
	}
	f, err := parseFormat(o.globalOptions.format, o.streams.Out)
	if err != nil || f == report.FormatMarkdown {
		return usage("--format %q: lint writes text, json, junit or sarif", o.globalOptions.format)
	}
	o.format = string(f)
	return nil
}

func (o *lintOptions) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res := lint.Run(ctx, lint.Options{Paths: o.files, Issuer: o.issuer, Cluster: o.cluster})
	for _, e := range res.Errors {
		fmt.Fprintf(o.streams.Err, "podcred-preflight lint: %s\n", report.SafeText(e.Error()))
	}
	if err := o.render(o.streams.Out, res); err != nil {
		return err
	}
	switch {
	case res.Failed():
		return cli.Silent(cli.ExitFail)
	case len(res.Errors) > 0:
		return cli.Silent(cli.ExitUnverified)
	}
	return nil
}

// lintDocument is lint's JSON output: one report per ServiceAccount.
type lintDocument struct {
	SchemaVersion string           `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Tool          report.Tool      `json:"tool"`
	Verdict       report.Verdict   `json:"verdict"`
	Files         int              `json:"files"`
	Errors        []string         `json:"errors"`
	Reports       []*report.Report `json:"reports"`
}

func (o *lintOptions) render(w io.Writer, res lint.Result) error {
	tool := report.Tool{Name: "podcred-preflight", Version: version.Version}
	reports := res.Reports
	if reports == nil {
		reports = []*report.Report{}
	}
	switch o.format {
	case formatSARIF:
		run := report.SARIFRun{Tool: tool, InfoURI: "https://github.com/podcred/podcred", Rules: lint.Rules(), Reports: reports}
		for _, e := range res.Errors {
			run.Notices = append(run.Notices, report.SARIFNotice{File: e.File, Message: e.Error()})
		}
		return report.RenderSARIF(w, run)
	case string(report.FormatJUnit):
		return report.RenderJUnit(w, reports...)
	case string(report.FormatJSON):
		var all []report.Check
		doc := lintDocument{SchemaVersion: report.SchemaVersion, Kind: KindPreflightLint, Tool: tool, Files: res.Files, Errors: []string{}, Reports: reports}
		for _, r := range reports {
			all = append(all, r.Checks...)
		}
		for _, e := range res.Errors {
			doc.Errors = append(doc.Errors, e.Error())
		}
		doc.Verdict = report.Aggregate(all)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(doc)
	}
	color := cli.IsTerminal(w)
	fmt.Fprintf(w, "podcred-preflight lint: %d files, %d ServiceAccounts, %d unreadable files\n", res.Files, len(reports), len(res.Errors))
	for _, r := range reports {
		fmt.Fprintln(w)
		if err := report.RenderText(w, r, color); err != nil {
			return err
		}
	}
	return nil
}
