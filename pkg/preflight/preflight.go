// Package preflight checks every IRSA set-up step from outside the cluster:
// the cluster's OIDC issuer, the IAM OIDC provider and its audience, the role,
// its trust policy (analysed with IAM's semantics, independently of the
// sandbox's STS front), its permissions for the selected chaos faults, the
// ServiceAccount annotation, the pods and the Litmus chaos resources. Facts
// are collected first, then judged by pure check functions; each failure
// carries the command or document that fixes it, filled in with real names.
// Audit runs it for many ServiceAccounts, fetching each IAM object once.
package preflight

import (
	"context"
	"time"

	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/report"
)

// preflightChecks maps each preflight check ID to its pure function, in report order.
var preflightChecks = []struct {
	id string
	fn func(Facts) result
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
	{IDPodIdentityAssociation, checkPodIdentityAssociation},
	{IDPodIdentityTrust, checkPodIdentityTrust},
	{IDPodIdentitySDK, checkPodIdentitySDK},
	{IDPodsEnvInjected, checkPodsEnvInjected},
	{IDPodsTokenReadable, checkPodsTokenReadable},
	{IDJobVerification, checkJobVerification},
	{IDNodesIMDS, checkNodesIMDS},
	{IDExperimentCloudSecret, checkExperimentCloudSecret},
	{IDExperimentStaticEnv, checkExperimentStaticEnv},
	{IDExperimentGate, checkExperimentGate},
}

// Evaluate judges the facts with every preflight check, in report order.
func Evaluate(f Facts) []report.Check {
	out := make([]report.Check, 0, len(preflightChecks))
	for _, c := range preflightChecks {
		r := judge(c.id, c.fn, f)
		s := preflightSpecByID[c.id]
		out = append(out, report.Check{
			ID: s.ID, Step: s.Step, Title: s.Title,
			Status: r.Status, Message: r.Message, Remedy: r.Remedy,
			Evidence: r.Evidence, DurationMs: r.Duration.Milliseconds(),
		})
	}
	return out
}

// BuildReport builds the BuildReport of judged facts, started at start.
func BuildReport(f Facts, start, now time.Time) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Kind:          report.KindPreflight,
		Tool:          report.Tool{Name: "podcred-preflight", Version: version.Version},
		Subject: report.Subject{
			Cluster: f.Cluster, Namespace: f.Namespace, ServiceAccount: f.ServiceAccount, RoleArn: f.SubjectRoleARN(),
		},
		StartedAt: start.UTC(),
		Checks:    Evaluate(f),
	}
	if j := f.Job; j != nil && j.Report != nil {
		r.Identity = j.Report.Identity
		r.ExpiresAt = j.Report.ExpiresAt
	}
	r.Finish(now)
	return r
}

// Run collects the facts for one ServiceAccount and judges them. It
// never fails: what could not be verified is an error check.
func Run(ctx context.Context, o Options) (*report.Report, Facts) {
	o = o.withDefaults()
	start := o.Now()
	f := Collect(ctx, o)
	return BuildReport(f, start, o.Now()), f
}
