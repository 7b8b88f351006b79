package credcheck

import (
	"github.com/podcred/podcred/internal/checkresult"
	"github.com/podcred/podcred/pkg/podiam"
)

// The check vocabulary shared with preflight, under short local names.
type result = checkresult.Result

var (
	pass    = checkresult.Pass
	skip    = checkresult.Skip
	warn    = checkresult.Warn
	fail    = checkresult.Fail
	errored = checkresult.Error
)

// checkEntry registers one agent check as data: its spec, its pure function,
// what it needs — the checks whose outcome it builds on and the collectors
// whose answer it judges —, the mechanism it belongs to ("" for every pod)
// and whether it is part of the gate's proof for that mechanism. Evaluate
// generates every dependency message from needs: a check function says only
// what it lacks, never which check to look at.
type checkEntry struct {
	spec      Spec
	fn        func(Facts) result
	needs     []string
	mechanism podiam.Mechanism
	proof     bool
}

// irsa and podID shorten the registry's mechanism column.
const (
	irsa  = podiam.MechanismIRSA
	podID = podiam.MechanismPodIdentity
)

// registry is every agent check, in report order; a check's needs come before it.
var registry = []checkEntry{
	{Spec{ID: IDEnvRoleArn, Step: 4, Title: "AWS_ROLE_ARN is injected and is a role ARN"},
		checkEnvRoleARN, nil, irsa, true},
	{Spec{ID: IDEnvTokenFile, Step: 4, Title: "web identity token file is injected and readable"},
		checkEnvTokenFile, nil, irsa, true},
	{Spec{ID: IDTokenClaims, Step: 4, Title: "token is a valid, unexpired JWT from an https issuer"},
		checkTokenClaims, []string{IDEnvTokenFile}, irsa, false},
	{Spec{ID: IDTokenAudience, Step: 1, Title: "token audience is accepted by the IAM OIDC provider"},
		checkTokenAudience, []string{IDEnvTokenFile, IDTokenClaims}, irsa, false},
	{Spec{ID: IDTokenSubject, Step: 3, Title: "token subject is this pod's ServiceAccount"},
		checkTokenSubject, []string{IDEnvTokenFile, IDTokenClaims}, irsa, true},
	{Spec{ID: IDCredsStaticEnv, Step: 5, Title: "no static AWS keys in the environment"},
		checkStaticEnv, nil, "", false},
	{Spec{ID: IDCredsSharedFile, Step: 5, Title: "no shared credentials file with static keys"},
		checkSharedFile, nil, "", false},
	{Spec{ID: IDSTSAssumeRole, Step: 2, Title: "AssumeRoleWithWebIdentity succeeds for the role"},
		checkAssumeRole, []string{IDEnvRoleArn, IDEnvTokenFile, IDTokenClaims, collectorSTS}, irsa, true},
	{Spec{ID: IDSTSCallerIdentity, Step: 2, Title: "issued credentials are the role's assumed-role session"},
		checkCallerIdentity, []string{IDSTSAssumeRole, collectorSTS}, irsa, true},
	{Spec{ID: IDPodIdentityEnv, Step: 4, Title: "EKS Pod Identity credentials endpoint and token file are injected"},
		checkPodIdentityEnv, nil, podID, true},
	{Spec{ID: IDPodIdentityToken, Step: 4, Title: "Pod Identity token is readable, unexpired, for pods.eks.amazonaws.com and this ServiceAccount"},
		checkPodIdentityToken, []string{IDPodIdentityEnv}, podID, true},
	{Spec{ID: IDPodIdentityCreds, Step: 2, Title: "the Pod Identity agent answers credentials for the token"},
		checkPodIdentityCreds, []string{IDPodIdentityEnv, IDPodIdentityToken, collectorPodIdentity}, podID, true},
	{Spec{ID: IDPodIdentityCaller, Step: 2, Title: "Pod Identity credentials are the role's eks- session"},
		checkPodIdentityCaller, []string{IDPodIdentityCreds, collectorPodIdentity}, podID, true},
	{Spec{ID: IDChainSource, Step: 4, Title: "SDK default chain resolves to the pod's role (web identity or Pod Identity)"},
		checkChainSource, []string{collectorChain}, "", true},
	{Spec{ID: IDIsolationIMDS, Step: 0, Title: "node role is not reachable through IMDS"},
		checkIMDS, []string{collectorIMDS}, "", false},
	{Spec{ID: IDIsolationCross, Step: 0, Title: "token cannot assume other experiments' roles"},
		checkCrossRole, []string{collectorCrossRole}, "", false},
}
