package preflight

// Run check IDs (DESIGN.md, "Preflight checks"). They are stable:
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
	IDExperimentGate        = "experiment.gate"
	IDNodesIMDS             = "nodes.imds"
)

// Names of the Litmus contract that preflight checks against (IRSA's are podiam's).
const (
	// LitmusCloudSecret is the Secret Litmus AWS experiments mount static keys
	// from. Secrets are judged by content; this name only stands in when a
	// Secret's content could not be read.
	LitmusCloudSecret = "cloud-secret"
)

// Subjects used to probe whether a trust policy admits ServiceAccounts other
// than the one checked.
const (
	probeNamespace = "podcred-probe-namespace"
	probeSA        = "podcred-probe-serviceaccount"
)

// Specs lists every preflight check in report order, grouped by
// the IRSA set-up step it belongs to.
var Specs = []Spec{
	{ID: IDClusterOIDCIssuer, Step: 1, Title: "the cluster's OIDC issuer is known"},
	{ID: IDIAMOIDCProvider, Step: 1, Title: "an IAM OIDC provider exists for the issuer"},
	{ID: IDIAMOIDCAudience, Step: 1, Title: "the provider's client IDs hold the audience"},
	{ID: IDIAMRoleExists, Step: 2, Title: "the annotated IAM role exists"},
	{ID: IDTrustPrincipal, Step: 2, Title: "the trust policy names the provider for sts:AssumeRoleWithWebIdentity"},
	{ID: IDTrustSubject, Step: 2, Title: "the trust policy admits the ServiceAccount"},
	{ID: IDTrustSubjectScoped, Step: 2, Title: "the trust policy is scoped to ServiceAccounts"},
	{ID: IDTrustAudience, Step: 2, Title: "the trust policy checks the audience"},
	{ID: IDTrustOperators, Step: 2, Title: "the trust policy's conditions mean what they say"},
	{ID: IDIAMPermissions, Step: 2, Title: "the role allows every action the faults need"},
	{ID: IDIAMLeastPrivilege, Step: 2, Title: "the role grants not much more than the faults need"},
	{ID: IDSAExists, Step: 3, Title: "the ServiceAccount exists"},
	{ID: IDSARoleAnnotation, Step: 3, Title: "the ServiceAccount carries a valid role annotation"},
	{ID: IDPodIdentityAssociation, Step: 3, Title: "an EKS Pod Identity association gives the ServiceAccount an existing role"},
	{ID: IDPodIdentityTrust, Step: 2, Title: "the associated role trusts EKS Pod Identity for both actions it needs"},
	{ID: IDPodIdentitySDK, Step: 4, Title: "the experiment's SDK can use EKS Pod Identity"},
	{ID: IDPodsEnvInjected, Step: 4, Title: "running pods of the ServiceAccount got the IRSA env and token"},
	{ID: IDPodsTokenReadable, Step: 4, Title: "non-root pods can read the projected token"},
	{ID: IDJobVerification, Step: 4, Title: "the agent, run as a Job under the ServiceAccount, passes"},
	{ID: IDNodesIMDS, Step: 4, Title: "the nodes' metadata options keep pods away from IMDS"},
	{ID: IDExperimentCloudSecret, Step: 5, Title: "no Secret holding AWS keys is mounted or referenced by the experiment"},
	{ID: IDExperimentStaticEnv, Step: 5, Title: "no static AWS keys in experiment env"},
	{ID: IDExperimentGate, Step: 5, Title: "chaos experiments gate on podcred in a way that stops chaos"},
}

var preflightSpecByID = func() map[string]Spec {
	m := make(map[string]Spec, len(Specs))
	for _, s := range Specs {
		m[s.ID] = s
	}
	return m
}()
