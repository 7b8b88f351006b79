package credcheck

import (
	"context"
	"time"

	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/report"
)

// preflightChecks maps each preflight check ID to its pure function, in report order.
var preflightChecks = []struct {
	id string
	fn func(PreflightFacts) result
}{
	{IDClusterOIDCIssuer, checkClusterIssuer},
	{IDIAMOIDCProvider, checkOIDCProvider},
	{IDIAMOIDCAudience, checkOIDCAudience},
	{IDIAMRoleExists, checkRoleExists},
	{IDTrustPrincipal, checkTrustPrincipal},
	{IDTrustSubject, checkTrustSubject},
	{IDTrustSubjectScoped, checkTrustSubjectScoped},
	{IDTrustAudience, checkTrustAudience},
	{IDTrustOperators, checkTrustOperators},
	{IDIAMPermissions, checkPermissions},
	{IDIAMLeastPrivilege, checkLeastPrivilege},
	{IDSAExists, checkSAExists},
	{IDSARoleAnnotation, checkSARoleAnnotation},
	{IDPodsEnvInjected, checkPodsEnvInjected},
	{IDPodsTokenReadable, checkPodsTokenReadable},
	{IDJobVerification, checkJobVerification},
	{IDExperimentCloudSecret, checkExperimentCloudSecret},
	{IDExperimentStaticEnv, checkExperimentStaticEnv},
}

// EvaluatePreflight judges the facts with every preflight check, in report order.
func EvaluatePreflight(f PreflightFacts) []report.Check {
	out := make([]report.Check, 0, len(preflightChecks))
	for _, c := range preflightChecks {
		r := c.fn(f)
		s := preflightSpecByID[c.id]
		out = append(out, report.Check{
			ID: s.ID, Step: s.Step, Title: s.Title,
			Status: r.status, Message: r.message, Remedy: r.remedy,
			Evidence: r.evidence, DurationMs: r.duration.Milliseconds(),
		})
	}
	return out
}

// PreflightReport builds the PreflightReport of judged facts, started at start.
func PreflightReport(f PreflightFacts, start, now time.Time) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Kind:          report.KindPreflight,
		Tool:          report.Tool{Name: "podcred-preflight", Version: version.Version},
		Subject: report.Subject{
			Cluster: f.Cluster, Namespace: f.Namespace, ServiceAccount: f.ServiceAccount, RoleArn: f.SA.RoleARN,
		},
		StartedAt: start.UTC(),
		Checks:    EvaluatePreflight(f),
	}
	if j := f.Job; j != nil && j.Report != nil {
		r.Identity = j.Report.Identity
		r.ExpiresAt = j.Report.ExpiresAt
	}
	r.Finish(now)
	return r
}

// Preflight collects the facts for one ServiceAccount and judges them. It
// never fails: what could not be verified is an error check.
func Preflight(ctx context.Context, o PreflightOptions) (*report.Report, PreflightFacts) {
	o = o.withDefaults()
	start := o.Now()
	f := CollectPreflight(ctx, o)
	return PreflightReport(f, start, o.Now()), f
}
