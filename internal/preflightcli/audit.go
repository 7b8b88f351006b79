package preflightcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// KindPreflightAudit is the kind of the JSON document `audit` writes: a
// summary and the PreflightReport of every ServiceAccount audited.
const KindPreflightAudit = "PreflightAudit"

// auditOptions are the flags of `podcred-preflight audit`.
type auditOptions struct {
	*globalOptions
	allNamespaces bool
	workers       int
	experimentSDK string

	namespace string
	parsed    report.Format
}

func newAuditCommand(g *globalOptions) *cobra.Command {
	o := &auditOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "audit (-A | -n NAMESPACE)",
		Short: "Check every ServiceAccount that carries eks.amazonaws.com/role-arn or has an EKS Pod Identity association, concurrently",
		Long: `audit checks every ServiceAccount annotated with eks.amazonaws.com/role-arn in the namespace (or, with -A,
the cluster) with a bounded worker pool; with --cluster also every ServiceAccount with an EKS Pod Identity
association (the cluster's associations are listed once), each reported with its mechanism. The issuer is resolved once and every IAM role, policy and OIDC
provider is fetched once however many ServiceAccounts share it. It prints one summary table and then the
full report of every ServiceAccount.`,
		Example: `  podcred-preflight audit -A --cluster chaos-lab
  podcred-preflight audit -n litmus --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.NoArgs,
		RunE: g.runE(o.complete, o.run),
	}
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "audit ServiceAccounts in every namespace")
	cmd.Flags().IntVar(&o.workers, "workers", preflight.DefaultAuditWorkers, "ServiceAccounts checked at once")
	addExperimentSDKFlag(cmd, &o.experimentSDK)
	return cmd
}

func (o *auditOptions) complete() error {
	if err := o.globalOptions.complete(); err != nil {
		return err
	}
	var err error
	if o.parsed, err = parseFormat(o.format, o.streams.Out); err != nil {
		return err
	}
	if o.workers <= 0 {
		return usage("--workers must be positive")
	}
	if err := validExperimentSDK(o.experimentSDK); err != nil {
		return err
	}
	if o.allNamespaces {
		if o.kube.Namespace != nil && *o.kube.Namespace != "" {
			return usage("give -A or -n, not both")
		}
		return nil
	}
	if o.namespace, _, err = o.kube.ToRawKubeConfigLoader().Namespace(); err != nil {
		return usage("namespace: %v", err)
	}
	return nil
}

func (o *auditOptions) run(ctx context.Context) error {
	ctx, done, c, err := o.globalOptions.run(ctx)
	if err != nil {
		return err
	}
	defer done()
	log := zerolog.Ctx(ctx)
	start := time.Now()
	base := o.base(c)
	base.ExperimentSDK = o.experimentSDK
	res, err := preflight.Audit(ctx, preflight.AuditOptions{
		Namespace: o.namespace, Workers: o.workers, Base: base,
		Progress: func(n, total int) {
			if n == total || n%max(total/10, 1) == 0 {
				log.Info().Int("done", n).Int("total", total).Msg("audit progress")
			}
		},
	})
	if err != nil {
		// CI reading --format json|junit|markdown still gets a document saying why.
		doc := auditErrorDocument(o.namespace, start, err)
		if rerr := renderAudit(o.streams.Out, doc, o.parsed, false); rerr != nil {
			return rerr
		}
		return &cli.ExitError{Code: cli.ExitUnverified, Err: err}
	}
	log.Info().Int("serviceAccounts", len(res.Reports)).Int64("iamCalls", res.IAMCalls).Dur("took", time.Since(start)).Msg("audit finished")
	doc := auditDocument{
		SchemaVersion: report.SchemaVersion, Kind: KindPreflightAudit,
		Tool:    report.Tool{Name: "podcred-preflight", Version: version.Version},
		Verdict: res.Verdict, StartedAt: start.UTC(), FinishedAt: time.Now().UTC(),
		Namespace: o.namespace, Summary: summarize(res.Reports), Reports: res.Reports,
	}
	if doc.Reports == nil {
		doc.Reports = []*report.Report{}
	}
	if err := renderAudit(o.streams.Out, doc, o.parsed, o.parsed == report.FormatText && cli.IsTerminal(o.streams.Out)); err != nil {
		return err
	}
	if code := cli.ExitCode(res.Verdict, o.strict); code != cli.ExitPass {
		return cli.Silent(code)
	}
	return nil
}

// auditDocument is the JSON form of an audit.
type auditDocument struct {
	SchemaVersion string           `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Tool          report.Tool      `json:"tool"`
	Verdict       report.Verdict   `json:"verdict"`
	StartedAt     time.Time        `json:"startedAt"`
	FinishedAt    time.Time        `json:"finishedAt"`
	Namespace     string           `json:"namespace,omitempty"`
	Summary       []auditRow       `json:"summary"`
	Reports       []*report.Report `json:"reports"`
	// Error says why nothing was audited (the ServiceAccounts could not be listed).
	Error string `json:"error,omitempty"`
}

// auditRow is one ServiceAccount in the summary table.
type auditRow struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleArn        string `json:"roleArn"`
	// Mechanism is irsa, pod-identity, irsa+pod-identity or none.
	Mechanism string         `json:"mechanism"`
	Verdict   report.Verdict `json:"verdict"`
	Failing   []string       `json:"failing,omitempty"`
	Warnings  []string       `json:"warnings,omitempty"`
}

func summarize(reports []*report.Report) []auditRow {
	rows := make([]auditRow, 0, len(reports))
	for _, r := range reports {
		row := auditRow{Namespace: r.Subject.Namespace, ServiceAccount: r.Subject.ServiceAccount, RoleArn: r.Subject.RoleArn,
			Mechanism: mechanismOf(r), Verdict: r.Verdict, Failing: r.FailingIDs()}
		for _, c := range r.Checks {
			if c.Status == report.StatusWarn {
				row.Warnings = append(row.Warnings, c.ID)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func renderAudit(w io.Writer, doc auditDocument, f report.Format, color bool) error {
	switch f {
	case report.FormatJSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	case report.FormatJUnit:
		return report.RenderJUnit(w, doc.Reports...)
	case report.FormatMarkdown:
		var b strings.Builder
		fmt.Fprintf(&b, "## podcred-preflight audit — verdict **%s** (%d ServiceAccounts)\n\n", strings.ToUpper(string(doc.Verdict)), len(doc.Summary))
		b.WriteString("| Namespace | ServiceAccount | Mechanism | Role | Verdict | Failing | Warnings |\n|---|---|---|---|---|---|---|\n")
		for _, r := range doc.Summary {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s | %s |\n", mdSafe(r.Namespace), mdSafe(r.ServiceAccount), mdSafe(r.Mechanism), mdSafe(r.RoleArn),
				r.Verdict, mdSafe(strings.Join(r.Failing, ", ")), mdSafe(strings.Join(r.Warnings, ", ")))
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		for _, r := range doc.Reports {
			if r.Verdict == report.VerdictPass {
				continue
			}
			if err := report.RenderMarkdown(w, r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := writeSummaryTable(w, doc); err != nil {
		return err
	}
	for _, r := range doc.Reports {
		if _, err := io.WriteString(w, "\n"+strings.Repeat("─", 72)+"\n"); err != nil {
			return err
		}
		if err := report.RenderText(w, r, color); err != nil {
			return err
		}
	}
	return nil
}

// writeSummaryTable writes the one-line-per-ServiceAccount table.
func writeSummaryTable(w io.Writer, doc auditDocument) error {
	where := "all namespaces"
	if doc.Namespace != "" {
		where = "namespace " + doc.Namespace
	}
	fmt.Fprintf(w, "podcred-preflight audit of %s — verdict %s, %d ServiceAccounts\n\n", where, strings.ToUpper(string(doc.Verdict)), len(doc.Summary))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tSERVICEACCOUNT\tMECHANISM\tROLE\tVERDICT\tFAILING\tWARNINGS")
	for _, r := range doc.Summary {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(r.Namespace), cell(r.ServiceAccount), orDash(cell(r.Mechanism)), cell(r.RoleArn),
			strings.ToUpper(string(r.Verdict)), orDash(strings.Join(r.Failing, ",")), orDash(strings.Join(r.Warnings, ",")))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table cell on one line and free of control characters.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func mdSafe(s string) string {
	return strings.NewReplacer("|", "\\|", "`", "'", "<", "&lt;", ">", "&gt;", "\n", " ").Replace(cell(s))
}
