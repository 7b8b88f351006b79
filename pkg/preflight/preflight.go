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

// check is one preflight check as data: its spec, its pure function and the
// facts it needs. Skip messages that point at another check are generated
// from IDs (needsCheck, see), never spelled inside check functions.
type check struct {
	spec  Spec
	run   func(Facts) result
	needs []Need
}

// registry is every preflight check, in report order, grouped by the IRSA
// set-up step it belongs to.
var registry = []check{
	{Spec{ID: IDClusterOIDCIssuer, Step: 1, Title: "the cluster's OIDC issuer is known"}, checkClusterIssuer, []Need{NeedIssuer}},
	{Spec{ID: IDIAMOIDCProvider, Step: 1, Title: "an IAM OIDC provider exists for the issuer"}, checkOIDCProvider, []Need{NeedIssuer, NeedIAM}},
	{Spec{ID: IDIAMOIDCAudience, Step: 1, Title: "the provider's client IDs hold the audience"}, checkOIDCAudience, []Need{NeedIAM}},
	{Spec{ID: IDIAMRoleExists, Step: 2, Title: "the annotated IAM role exists"}, checkRoleExists, []Need{NeedServiceAccount, NeedIAM}},
	{Spec{ID: IDTrustPrincipal, Step: 2, Title: "the trust policy names the provider for sts:AssumeRoleWithWebIdentity"}, checkTrustPrincipal, []Need{NeedServiceAccount, NeedIssuer, NeedTrustPolicy}},
	{Spec{ID: IDTrustSubject, Step: 2, Title: "the trust policy admits the ServiceAccount"}, checkTrustSubject, []Need{NeedServiceAccount, NeedIssuer, NeedTrustPolicy}},
	{Spec{ID: IDTrustSubjectScoped, Step: 2, Title: "the trust policy is scoped to ServiceAccounts"}, checkTrustSubjectScoped, []Need{NeedServiceAccount, NeedIssuer, NeedTrustPolicy}},
	{Spec{ID: IDTrustAudience, Step: 2, Title: "the trust policy checks the audience"}, checkTrustAudience, []Need{NeedServiceAccount, NeedIssuer, NeedTrustPolicy}},
	{Spec{ID: IDTrustOperators, Step: 2, Title: "the trust policy's conditions mean what they say"}, checkTrustOperators, []Need{NeedServiceAccount, NeedTrustPolicy}},
	{Spec{ID: IDIAMPermissions, Step: 2, Title: "the role allows every action the faults need"}, checkPermissions, []Need{NeedServiceAccount, NeedIAM}},
	{Spec{ID: IDIAMLeastPrivilege, Step: 2, Title: "the role grants not much more than the faults need"}, checkLeastPrivilege, []Need{NeedServiceAccount, NeedIAM}},
	{Spec{ID: IDSAExists, Step: 3, Title: "the ServiceAccount exists"}, checkSAExists, []Need{NeedCluster}},
	{Spec{ID: IDSARoleAnnotation, Step: 3, Title: "the ServiceAccount carries a valid role annotation"}, checkSARoleAnnotation, []Need{NeedServiceAccount}},
	{Spec{ID: IDPodIdentityAssociation, Step: 3, Title: "an EKS Pod Identity association gives the ServiceAccount an existing role"}, checkPodIdentityAssociation, []Need{NeedServiceAccount, NeedEKS, NeedIAM}},
	{Spec{ID: IDPodIdentityTrust, Step: 2, Title: "the associated role trusts EKS Pod Identity for both actions it needs"}, checkPodIdentityTrust, []Need{NeedEKS, NeedIAM}},
	{Spec{ID: IDPodIdentitySDK, Step: 4, Title: "the experiment's SDK can use EKS Pod Identity"}, checkPodIdentitySDK, []Need{NeedEKS}},
	{Spec{ID: IDPodsEnvInjected, Step: 4, Title: "running pods of the ServiceAccount got the IRSA env and token"}, checkPodsEnvInjected, []Need{NeedCluster}},
	{Spec{ID: IDPodsTokenReadable, Step: 4, Title: "non-root pods can read the projected token"}, checkPodsTokenReadable, []Need{NeedCluster}},
	{Spec{ID: IDJobVerification, Step: 4, Title: "the agent, run as a Job under the ServiceAccount, passes"}, checkJobVerification, []Need{NeedCluster, NeedJob}},
	{Spec{ID: IDNodesIMDS, Step: 4, Title: "the nodes' metadata options keep pods away from IMDS"}, checkNodesIMDS, []Need{NeedCluster, NeedEC2}},
	{Spec{ID: IDExperimentCloudSecret, Step: 5, Title: "no Secret holding AWS keys is mounted or referenced by the experiment"}, checkExperimentCloudSecret, []Need{NeedWorkloads}},
	{Spec{ID: IDExperimentStaticEnv, Step: 5, Title: "no static AWS keys in experiment env"}, checkExperimentStaticEnv, []Need{NeedWorkloads}},
	{Spec{ID: IDExperimentGate, Step: 5, Title: "chaos experiments gate on podcred in a way that stops chaos"}, checkExperimentGate, []Need{NeedWorkloads}},
}

// Specs lists every preflight check in report order, grouped by the IRSA
// set-up step it belongs to.
var Specs = func() []Spec {
	out := make([]Spec, len(registry))
	for i, c := range registry {
		out[i] = c.spec
	}
	return out
}()

// NeedsOf returns the facts check id needs (nil for an unknown ID).
func NeedsOf(id string) []Need {
	for _, c := range registry {
		if c.spec.ID == id {
			return append([]Need(nil), c.needs...)
		}
	}
	return nil
}

// Evaluate judges the facts with every preflight check, in report order.
func Evaluate(f Facts) []report.Check {
	return EvaluateFrom(f, func(Need) bool { return true })
}

// EvaluateFrom judges the facts with every registered check whose needs
// has reports available, in report order; the others are skipped as not
// judged, naming what they need (evidence EvidenceNotJudged). Lint runs the
// same checks as check this way, with the needs files can satisfy.
func EvaluateFrom(f Facts, has func(Need) bool) []report.Check {
	out := make([]report.Check, 0, len(registry))
	for _, c := range registry {
		var missing []Need
		for _, n := range c.needs {
			if !has(n) {
				missing = append(missing, n)
			}
		}
		r := notJudged(missing)
		if len(missing) == 0 {
			r = judge(c.spec.ID, c.run, f)
		}
		out = append(out, r.Check(c.spec))
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
