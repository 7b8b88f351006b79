package credcheck

// Agent check IDs. They are stable: tests, docs, dashboards and gates depend on them.
const (
	IDEnvRoleArn        = "env.role-arn"
	IDEnvTokenFile      = "env.token-file"
	IDTokenClaims       = "token.claims"
	IDTokenAudience     = "token.audience"
	IDTokenSubject      = "token.subject"
	IDCredsStaticEnv    = "creds.static-env"
	IDCredsSharedFile   = "creds.shared-file"
	IDSTSAssumeRole     = "sts.assume-role"
	IDSTSCallerIdentity = "sts.caller-identity"
	IDChainSource       = "chain.source"
	IDIsolationIMDS     = "isolation.imds"
	IDIsolationCross    = "isolation.cross-role"
)

// Spec describes a check: its stable ID, the IRSA set-up step it belongs to
// (1-5; 0 for isolation checks outside the five steps) and its title.
type Spec struct {
	ID    string
	Step  int
	Title string
}

// AgentSpecs lists every agent check in report order.
var AgentSpecs = []Spec{
	{IDEnvRoleArn, 4, "AWS_ROLE_ARN is injected and is a role ARN"},
	{IDEnvTokenFile, 4, "web identity token file is injected and readable"},
	{IDTokenClaims, 4, "token is a valid, unexpired JWT from an https issuer"},
	{IDTokenAudience, 1, "token audience is accepted by the IAM OIDC provider"},
	{IDTokenSubject, 3, "token subject is this pod's ServiceAccount"},
	{IDCredsStaticEnv, 5, "no static AWS keys in the environment"},
	{IDCredsSharedFile, 5, "no shared credentials file with static keys"},
	{IDSTSAssumeRole, 2, "AssumeRoleWithWebIdentity succeeds for the role"},
	{IDSTSCallerIdentity, 2, "issued credentials are the role's assumed-role session"},
	{IDChainSource, 4, "SDK default chain resolves to web identity for the role"},
	{IDIsolationIMDS, 0, "node role is not reachable through IMDS"},
	{IDIsolationCross, 0, "token cannot assume other experiments' roles"},
}

// specByID indexes AgentSpecs.
var specByID = func() map[string]Spec {
	m := make(map[string]Spec, len(AgentSpecs))
	for _, s := range AgentSpecs {
		m[s.ID] = s
	}
	return m
}()
