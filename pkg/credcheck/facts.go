package credcheck

import (
	"time"

	"github.com/podcred/podcred/pkg/podiam"
)

// Facts is everything the agent checks judge. Collect gathers it; the checks
// are pure functions of it. It holds no secret: key presence is a bool, the
// token is reduced to its claims.
type Facts struct {
	// Now is the collection time, the clock every expiry is judged against.
	Now time.Time
	// RunDeadline is when the run must end; a token expiring before it warns.
	RunDeadline time.Time
	// Audience is the expected token audience (default sts.amazonaws.com).
	Audience string
	// Pod is who the agent runs as, from the downward API or flags.
	Pod PodIdentity

	RoleARN   string // AWS_ROLE_ARN as found
	TokenFile string // AWS_WEB_IDENTITY_TOKEN_FILE as found
	// TokenReadErr is set when the token file could not be read.
	TokenReadErr error
	// TokenPermissionDenied is set when reading failed with EACCES.
	TokenPermissionDenied bool
	// Claims are the decoded token claims; nil when ClaimsErr is set or no token was read.
	Claims    *Claims
	ClaimsErr error

	StaticEnv   StaticEnv
	SharedFiles []SharedFile

	Assume *AssumeResult
	Caller *CallerResult
	Chain  *ChainResult
	IMDS   *IMDSResult
	// PodIdentity is what was found of EKS Pod Identity.
	PodIdentity PodIdentityFacts
	// ExperimentSDK is the SDK family chain.source judges (SDKGoV2, SDKGoV1).
	ExperimentSDK string
	// DenyRoles holds one result per --deny-role-arn, in flag order.
	DenyRoles []CrossRoleResult
	// ConfigErr is set when no SDK configuration could be loaded at all,
	// not even without the shared files: no STS call was made.
	ConfigErr error
	// Unfinished maps each collector (sts, cross-role, pod-identity, chain, imds) that had
	// not answered when the run's deadline passed, or the run was cancelled,
	// to the reason; the checks it feeds report error with that reason.
	Unfinished map[string]string
}

// PodIdentity is the pod the agent runs in; any field may be empty outside a cluster.
type PodIdentity struct {
	Name           string
	Namespace      string
	UID            string
	ServiceAccount string
}

// StaticEnv records which static-credential variables are set (never their values).
type StaticEnv struct {
	AccessKeyID     bool
	SecretAccessKey bool
	SessionToken    bool
	// Profile is AWS_PROFILE, which may select static keys from a shared file.
	Profile string
}

// SharedFile is a shared credentials/config file that is reachable by the pod.
type SharedFile struct {
	Path string
	// Via says how it is reached: the variable naming it, or "default location".
	Via string
	// Profiles lists profiles holding aws_access_key_id (names only).
	Profiles []string
	// Err is set when the file exists but could not be read.
	Err error
}

// AssumeResult is the explicit AssumeRoleWithWebIdentity call.
type AssumeResult struct {
	AssumedRoleARN string
	AssumedRoleID  string
	Expiration     time.Time
	SessionName    string
	RequestID      string
	Err            *podiam.CallError
	Duration       time.Duration
}

// CallerResult is GetCallerIdentity with the explicitly issued credentials.
type CallerResult struct {
	Account  string
	ARN      string
	UserID   string
	Err      *podiam.CallError
	Duration time.Duration
}

// ChainResult is the SDK default credential chain as an experiment loads it.
type ChainResult struct {
	// SDK names the SDK and version that resolved the chain, e.g.
	// "aws-sdk-go v1.38.59".
	SDK string
	// Endpoint is the STS endpoint that SDK resolves by itself (go-v1 only).
	Endpoint string
	// Source is aws.Credentials.Source: EnvConfigCredentials,
	// SharedConfigCredentials: <file>, WebIdentityCredentials, EC2RoleProvider, ...
	Source string
	// ARN is the caller identity of the chain's credentials (empty if unknown).
	ARN     string
	Account string
	LoadErr error
	// Unavailable is set when LoadErr came from an endpoint that did not
	// answer (network, timeout, throttling, 5xx) rather than a refusal.
	Unavailable bool
	CallErr     *podiam.CallError
	Duration    time.Duration
}

// IMDSResult is the probe of the instance metadata service.
type IMDSResult struct {
	Endpoint string
	// Skipped is set when probing was disabled (AWS_EC2_METADATA_DISABLED without an explicit endpoint).
	Skipped bool
	// Err is set when the endpoint is not a usable http(s) URL: nothing was probed.
	Err error
	V2  ProbeOutcome
	V1  ProbeOutcome
}

// ProbeOutcome is one IMDS path's answer.
type ProbeOutcome struct {
	// Reachable is set when IMDS answered on this path at all.
	Reachable bool
	// RoleName is the node role listed under iam/security-credentials/ ("" if none).
	RoleName string
	// Detail says what happened (refused, timed out, HTTP status).
	Detail string
}

// CrossRoleResult is an attempt to assume another role with this pod's token.
type CrossRoleResult struct {
	RoleARN string
	Allowed bool
	Err     *podiam.CallError
}
