package credcheck

// Preflight check IDs (DESIGN.md, "Preflight checks"). They are stable:
// tests, docs, CI pipelines and users depend on them.
const (
	IDClusterOIDCIssuer     = "cluster.oidc-issuer"
	IDIAMOIDCProvider       = "iam.oidc-provider"
	IDIAMOIDCAudience       = "iam.oidc-audience"
	IDIAMRoleExists         = "iam.role-exists"
	IDTrustPrincipal        = "trust.principal"
	IDTrustSubject          = "trust.subject"
	IDTrustSubjectScoped    = "trust.subject-scoped"
	IDTrustAudience         = "trust.audience"
	IDTrustOperators        = "trust.operators"
	IDIAMPermissions        = "iam.permissions"
	IDIAMLeastPrivilege     = "iam.least-privilege"
	IDSAExists              = "sa.exists"
	IDSARoleAnnotation      = "sa.role-annotation"
	IDPodsEnvInjected       = "pods.env-injected"
	IDPodsTokenReadable     = "pods.token-readable"
	IDJobVerification       = "job.verification"
	IDExperimentCloudSecret = "experiment.cloud-secret"
	IDExperimentStaticEnv   = "experiment.static-env"
)

// Names of the IRSA and Litmus contracts that preflight checks against.
const (
	// AnnotationRoleARN is the ServiceAccount annotation the pod identity webhook reads.
	AnnotationRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationAudience overrides the token audience (default DefaultAudience).
	AnnotationAudience = "eks.amazonaws.com/audience"
	// EKSTokenPath is where the webhook mounts the projected token.
	EKSTokenPath = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
	// LitmusCloudSecret is the Secret Litmus AWS experiments mount static keys from.
	LitmusCloudSecret = "cloud-secret"
)

// Subjects used to probe whether a trust policy admits ServiceAccounts other
// than the one checked.
const (
	probeNamespace = "podcred-probe-namespace"
	probeSA        = "podcred-probe-serviceaccount"
)

// PreflightSpecs lists every preflight check in report order, grouped by
// the IRSA set-up step it belongs to.
var PreflightSpecs = []Spec{
	{IDClusterOIDCIssuer, 1, "the cluster's OIDC issuer is known"},
	{IDIAMOIDCProvider, 1, "an IAM OIDC provider exists for the issuer"},
	{IDIAMOIDCAudience, 1, "the provider's client IDs hold the audience"},
	{IDIAMRoleExists, 2, "the annotated IAM role exists"},
	{IDTrustPrincipal, 2, "the trust policy names the provider for sts:AssumeRoleWithWebIdentity"},
	{IDTrustSubject, 2, "the trust policy admits the ServiceAccount"},
	{IDTrustSubjectScoped, 2, "the trust policy is scoped to ServiceAccounts"},
	{IDTrustAudience, 2, "the trust policy checks the audience"},
	{IDTrustOperators, 2, "the trust policy's conditions mean what they say"},
	{IDIAMPermissions, 2, "the role allows every action the faults need"},
	{IDIAMLeastPrivilege, 2, "the role grants not much more than the faults need"},
	{IDSAExists, 3, "the ServiceAccount exists"},
	{IDSARoleAnnotation, 3, "the ServiceAccount carries a valid role annotation"},
	{IDPodsEnvInjected, 4, "running pods of the ServiceAccount got the IRSA env and token"},
	{IDPodsTokenReadable, 4, "non-root pods can read the projected token"},
	{IDJobVerification, 4, "the agent, run as a Job under the ServiceAccount, passes"},
	{IDExperimentCloudSecret, 5, "chaos experiments no longer mount cloud-secret"},
	{IDExperimentStaticEnv, 5, "no static AWS keys in experiment env"},
}

var preflightSpecByID = func() map[string]Spec {
	m := make(map[string]Spec, len(PreflightSpecs))
	for _, s := range PreflightSpecs {
		m[s.ID] = s
	}
	return m
}()
