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

// establishes says, for a check other checks depend on, what it establishes
// when it passes, in the words of a dependant's skip message: "needs the role
// (see iam.role-exists)" is generated from IDIAMRoleExists and its entry here.
var establishes = map[string]string{
	IDClusterOIDCIssuer:      "the cluster's issuer",
	IDIAMOIDCProvider:        "the IAM OIDC provider",
	IDIAMRoleExists:          "the role",
	IDTrustPrincipal:         "a parsed trust policy",
	IDSAExists:               "the ServiceAccount",
	IDSARoleAnnotation:       "a valid role annotation",
	IDPodIdentityAssociation: "the associated role",
}

// needsCheck is the skip result of a check that needs what check id
// establishes: "needs the role (see iam.role-exists)".
func needsCheck(id string) result { return skip("needs " + establishes[id] + see(id)) }

// see points a message at the check id that says more: " (see trust.principal)".
func see(id string) string { return " (see " + id + ")" }
