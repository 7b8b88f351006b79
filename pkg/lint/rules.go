package lint

import (
	"strings"

	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// HelpURI is where the checks are documented (README, "Lint manifests in git").
const HelpURI = "https://github.com/podcred/podcred/blob/main/README.md#lint-manifests-in-git"

// help says how to fix a finding of each check, in general; each result's
// message carries the fix filled in with the real names.
var help = map[string]string{
	preflight.IDClusterOIDCIssuer:     "Pass the cluster's issuer exactly as `aws eks describe-cluster --name <cluster> --query cluster.identity.oidc.issuer` prints it (https).",
	preflight.IDIAMOIDCProvider:       "Create the IAM OIDC provider for the issuer: `eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve`.",
	preflight.IDIAMOIDCAudience:       "Add the audience to the provider: `aws iam add-client-id-to-open-id-connect-provider`.",
	preflight.IDIAMRoleExists:         "Create the role the ServiceAccount names, or fix the annotation's ARN (path included).",
	preflight.IDTrustPrincipal:        "Give the trust policy an Allow statement with the cluster's OIDC provider as Federated principal for sts:AssumeRoleWithWebIdentity.",
	preflight.IDTrustSubject:          "Make the sub condition admit system:serviceaccount:<namespace>:<serviceaccount> (StringEquals is literal; Deny wins).",
	preflight.IDTrustSubjectScoped:    "Add a sub condition naming the ServiceAccount: without one every ServiceAccount of the cluster can take the role.",
	preflight.IDTrustAudience:         "Add \"StringEquals\": {\"<issuer-host>:aud\": \"sts.amazonaws.com\"} to the statement.",
	preflight.IDTrustOperators:        "Use StringLike for patterns and the cluster's own issuer host in condition keys.",
	preflight.IDIAMPermissions:        "Grant the actions the faults need (`aws iam put-role-policy`).",
	preflight.IDIAMLeastPrivilege:     "Narrow the role's policies to the actions the faults need.",
	preflight.IDSAExists:              "Create the ServiceAccount and annotate it with the role.",
	preflight.IDSARoleAnnotation:      "Annotate the ServiceAccount with eks.amazonaws.com/role-arn: arn:aws:iam::<account>:role/<role>.",
	preflight.IDPodsEnvInjected:       "Restart the pods created before the annotation; the webhook injects only into new pods.",
	preflight.IDPodsTokenReadable:     "Set spec.securityContext.fsGroup for non-root pods.",
	preflight.IDJobVerification:       "Read the agent's report: it names the failing check and its fix.",
	preflight.IDNodesIMDS:             "Set the nodes' metadata options to HttpTokens=required with hop limit 1.",
	preflight.IDExperimentCloudSecret: "Remove the Secret holding AWS keys (Litmus's cloud-secret or any other) from the ChaosExperiment, ChaosEngine or pod, and AWS_SHARED_CREDENTIALS_FILE with it.",
	preflight.IDExperimentStaticEnv:   "Remove AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the experiment's env: they win over IRSA.",
	preflight.IDExperimentGate:        "Gate the experiment on podcred: a podcred probe with runProperties.stopOnFailure: true in mode SOT or Edge (deploy/examples/litmus-probes.yaml), or a podcred-agent step before the fault (deploy/examples/litmus-workflow.yaml).",
}

// warnsByDefault are the checks whose findings are advice, mostly warnings.
var warnsByDefault = map[string]bool{
	preflight.IDTrustAudience: true, preflight.IDIAMLeastPrivilege: true, preflight.IDPodsTokenReadable: true,
}

// Rules describes every preflight check as a SARIF rule, in report order.
func Rules() []report.SARIFRule {
	out := make([]report.SARIFRule, 0, len(preflight.Specs))
	for _, s := range preflight.Specs {
		level := "error"
		if warnsByDefault[s.ID] {
			level = "warning"
		}
		tags := []string{"security", "irsa", "step-" + string(rune('0'+s.Step))}
		for _, n := range preflight.NeedsOf(s.ID) {
			tags = append(tags, "needs-"+string(n))
		}
		out = append(out, report.SARIFRule{
			ID: s.ID, Name: ruleName(s.ID), Title: s.Title, Help: orTitle(help[s.ID], s.Title),
			HelpURI: HelpURI, Level: level, Tags: tags,
		})
	}
	return out
}

// ruleName is the check ID in CamelCase: trust.subject-scoped -> TrustSubjectScoped.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func orTitle(h, title string) string {
	if h == "" {
		return title
	}
	return h
}
