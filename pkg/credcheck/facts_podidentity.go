package credcheck

import (
	"time"

	"github.com/podcred/podcred/pkg/podiam"
)

// PodIdentityFacts is what the agent found of EKS Pod Identity: the
// environment the EKS webhook injects, the token's claims (never the token)
// and the Pod Identity agent's answer (never the credentials).
type PodIdentityFacts struct {
	// FullURI is AWS_CONTAINER_CREDENTIALS_FULL_URI as found.
	FullURI string
	// TokenFile is AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as found.
	TokenFile string
	// TokenReadErr is set when the token file could not be read.
	TokenReadErr error
	// TokenPermissionDenied is set when reading failed with EACCES.
	TokenPermissionDenied bool
	// TokenHasNewline is set when the token holds a CR or LF, which the
	// SDKs refuse to send as an Authorization header.
	TokenHasNewline bool
	// Claims are the decoded token claims; nil when ClaimsErr is set or no token was read.
	Claims    *Claims
	ClaimsErr error
	// Creds is the credentials endpoint's answer; nil when it was not called.
	Creds *ContainerCredsResult
	// Caller is GetCallerIdentity with the endpoint's credentials.
	Caller *CallerResult
}

// ContainerCredsResult is the SDK's container credentials provider's call to
// AWS_CONTAINER_CREDENTIALS_FULL_URI, reduced to what a report may show.
type ContainerCredsResult struct {
	Endpoint string
	// AccountID is the AccountId the agent answered ("" when absent).
	AccountID  string
	Expiration time.Time
	Err        *podiam.CallError
	Duration   time.Duration
}

// Mechanisms says which ways of getting a role the pod's environment shows.
// IRSA: AWS_ROLE_ARN or AWS_WEB_IDENTITY_TOKEN_FILE is set. EKS Pod Identity:
// AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is set.
type Mechanisms struct {
	IRSA        bool
	PodIdentity bool
}

// MechanismsOf detects the mechanisms in the facts.
func MechanismsOf(f Facts) Mechanisms {
	return Mechanisms{
		IRSA:        f.RoleARN != "" || f.TokenFile != "",
		PodIdentity: f.PodIdentity.FullURI != "" || f.PodIdentity.TokenFile != "",
	}
}

// Judged is the mechanism a report judges: IRSA when present (every SDK's
// chain takes web identity before container credentials), else Pod
// Identity, else none.
func (m Mechanisms) Judged() podiam.Mechanism { return podiam.SDKResolves(m.IRSA, m.PodIdentity) }

// podIdentityOnly reports whether the pod has Pod Identity and not IRSA.
func (m Mechanisms) podIdentityOnly() bool { return m.PodIdentity && !m.IRSA }
