package credcheck

import "github.com/podcred/podcred/internal/checkresult"

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
type Spec = checkresult.Spec

// AgentSpecs lists every agent check in report order.
var AgentSpecs = []Spec{
	{ID: IDEnvRoleArn, Step: 4, Title: "AWS_ROLE_ARN is injected and is a role ARN"},
	{ID: IDEnvTokenFile, Step: 4, Title: "web identity token file is injected and readable"},
	{ID: IDTokenClaims, Step: 4, Title: "token is a valid, unexpired JWT from an https issuer"},
	{ID: IDTokenAudience, Step: 1, Title: "token audience is accepted by the IAM OIDC provider"},
	{ID: IDTokenSubject, Step: 3, Title: "token subject is this pod's ServiceAccount"},
	{ID: IDCredsStaticEnv, Step: 5, Title: "no static AWS keys in the environment"},
	{ID: IDCredsSharedFile, Step: 5, Title: "no shared credentials file with static keys"},
	{ID: IDSTSAssumeRole, Step: 2, Title: "AssumeRoleWithWebIdentity succeeds for the role"},
	{ID: IDSTSCallerIdentity, Step: 2, Title: "issued credentials are the role's assumed-role session"},
	{ID: IDChainSource, Step: 4, Title: "SDK default chain resolves to web identity for the role"},
	{ID: IDIsolationIMDS, Step: 0, Title: "node role is not reachable through IMDS"},
	{ID: IDIsolationCross, Step: 0, Title: "token cannot assume other experiments' roles"},
}

// specByID indexes AgentSpecs.
var specByID = func() map[string]Spec {
	m := make(map[string]Spec, len(AgentSpecs))
	for _, s := range AgentSpecs {
		m[s.ID] = s
	}
	return m
}()

// GateRequired lists the checks every report of this agent version carries:
// a gate refuses a report that lacks one (verdict.GateOptions.Required).
var GateRequired = func() []string {
	ids := make([]string, len(AgentSpecs))
	for i, s := range AgentSpecs {
		ids[i] = s.ID
	}
	return ids
}()

// GateProof lists the checks that prove the pod gets its own role: a gate
// opens only when each of them passed (or warned), never on a report where
// they were skipped (verdict.GateOptions.Proof).
var GateProof = []string{IDEnvRoleArn, IDEnvTokenFile, IDTokenSubject, IDSTSAssumeRole, IDSTSCallerIdentity, IDChainSource}
