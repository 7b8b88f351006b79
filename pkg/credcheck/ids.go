package credcheck

import (
	"github.com/podcred/podcred/internal/checkresult"
	"github.com/podcred/podcred/pkg/podiam"
)

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
	IDPodIdentityEnv    = "podidentity.env"
	IDPodIdentityToken  = "podidentity.token"
	IDPodIdentityCreds  = "podidentity.credentials"
	IDPodIdentityCaller = "podidentity.caller-identity"
	IDChainSource       = "chain.source"
	IDIsolationIMDS     = "isolation.imds"
	IDIsolationCross    = "isolation.cross-role"
)

// Spec describes a check: its stable ID, the IRSA set-up step it belongs to
// (1-5; 0 for isolation checks outside the five steps) and its title.
type Spec = checkresult.Spec

// AgentSpecs lists every agent check in report order (the registry's order).
var AgentSpecs = func() []Spec {
	specs := make([]Spec, len(registry))
	for i, e := range registry {
		specs[i] = e.spec
	}
	return specs
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

// GateProof lists, per mechanism, the checks that prove the pod gets its own
// role that way: a gate opens only when every check of one mechanism's list
// passed (or warned), never on a report where they were skipped
// (verdict.GateOptions.Proof). IRSA: env.role-arn, env.token-file,
// token.subject, sts.assume-role, sts.caller-identity, chain.source. EKS Pod
// Identity: podidentity.env, podidentity.token, podidentity.credentials,
// podidentity.caller-identity, chain.source. Derived from the registry's
// proof entries.
var GateProof = func() map[string][]string {
	proof := map[string][]string{}
	for _, m := range []podiam.Mechanism{podiam.MechanismIRSA, podiam.MechanismPodIdentity} {
		for _, e := range registry {
			if e.proof && (e.mechanism == "" || e.mechanism == m) {
				proof[string(m)] = append(proof[string(m)], e.spec.ID)
			}
		}
	}
	return proof
}()
