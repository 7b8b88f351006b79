package preflight

import (
	"time"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// Facts is everything the preflight checks judge, collected from
// EKS, IAM and Kubernetes by Collect. Each check is a pure function
// of it. A nil pointer field means "not collected" (the check skips, naming
// what it needed); a set Err means "asked, but no answer" (the check errors).
type Facts struct {
	// Now is the collection time.
	Now time.Time
	// Namespace and ServiceAccount name the subject; Cluster the EKS cluster, if known.
	Namespace      string
	ServiceAccount string
	Cluster        string
	// Audience is the token audience: --audience, else the SA's
	// eks.amazonaws.com/audience annotation, else podiam.DefaultAudience.
	Audience string
	// ExpectedRoleARN is the role the SA should carry (--role-arn), if given.
	ExpectedRoleARN string
	// Faults are the selected faults; FaultsInferred says they were read from
	// the namespace's chaos experiments rather than given with --fault.
	Faults         []Fault
	FaultsInferred bool

	Issuer      IssuerFact
	SA          SAFact
	Providers   *ProvidersFact
	Role        *RoleFact
	Permissions *PermissionsFact
	Grants      *GrantsFact
	Pods        *PodsFact
	Chaos       *ChaosFact
	// Gate is what experiment.gate judges; nil when chaos objects were not read.
	Gate *GateFact
	Job  *JobFact
	// Nodes is what nodes.imds judges (cluster-wide); nil when not read.
	Nodes *NodesFact
	// Secrets are the Secrets the SA's pods and chaos objects reference,
	// judged by content (key names and match kinds only, never values);
	// nil when not read.
	Secrets *SecretsFact
	// PodIdentity is EKS Pod Identity for the SA (podidentity_facts.go);
	// nil when not looked up. ExperimentSDK is --experiment-sdk.
	PodIdentity   *PodIdentityFact
	ExperimentSDK string
}

// Sources of the issuer in IssuerFact.Source.
const (
	IssuerFromFlag      = "--issuer"
	IssuerFromEKS       = "eks:DescribeCluster"
	IssuerFromDiscovery = "kube-apiserver /.well-known/openid-configuration"
)

// IssuerFact is the cluster's OIDC issuer and where it came from.
type IssuerFact struct {
	URL    string
	Source string
	// Err is the DescribeCluster failure, if that is how the issuer was sought.
	Err *podiam.CallError
	// Problem says why the issuer is unknown or unusable when there is no Err.
	Problem string
}

// SAFact is the ServiceAccount as read from the API.
type SAFact struct {
	Found bool
	// Err is an API error other than NotFound (the SA could not be read).
	Err error
	// podiam.RoleARN is the eks.amazonaws.com/role-arn annotation as written;
	// HasRoleAnnotation says whether it is present at all.
	RoleARN           string
	HasRoleAnnotation bool
	// Audience is the eks.amazonaws.com/audience annotation, if any.
	Audience string
	// AnnotatedAt is when the role annotation was last written (from
	// managedFields); zero when unknown.
	AnnotatedAt time.Time
}

// ProvidersFact is what IAM knows of OIDC providers for the issuer.
type ProvidersFact struct {
	// ListErr is the ListOpenIDConnectProviders failure.
	ListErr *podiam.CallError
	// ARNs are all provider ARNs of the account.
	ARNs []string
	// Match is the provider for the issuer in the role's account ("" if none).
	Match string
	// Near are providers that are almost the issuer's: the same host in
	// another account or partition, a trailing slash, the wrong EKS host form.
	Near []string
	// URL and ClientIDs are GetOpenIDConnectProvider's answer for Match.
	URL       string
	ClientIDs []string
	GetErr    *podiam.CallError
}

// RoleFact is iam:GetRole for the annotated role.
type RoleFact struct {
	ARN   podiam.RoleARN
	Found bool
	// ActualARN is the ARN iam:GetRole answered with (by name): it differs
	// from ARN when the annotation names another path.
	ActualARN string
	// Err is a failure other than NoSuchEntity.
	Err *podiam.CallError
	// Trust is the parsed trust policy; TrustErr says why it did not parse.
	Trust    *trustpolicy.PolicyDocument
	TrustErr error
}

// PermissionsFact is iam:SimulatePrincipalPolicy for the faults' actions.
type PermissionsFact struct {
	Actions []ActionDecision
	Err     *podiam.CallError
}

// ActionDecision is the simulated decision for one action: "allowed",
// "implicitDeny" or "explicitDeny" (IAM's EvalDecision values).
type ActionDecision struct {
	Action   string
	Decision string
	// MatchedStatements names the policies whose statements decided.
	MatchedStatements []string
}

// GrantsFact is the role's permission policies, for least-privilege.
type GrantsFact struct {
	Policies []GrantedPolicy
	// Err is a failure to list the role's policies.
	Err *podiam.CallError
}

// GrantedPolicy is one permission policy of the role.
type GrantedPolicy struct {
	// Name is the policy name; ARN is set for managed policies.
	Name string
	ARN  string
	// Doc is the parsed default version; Err says why it could not be read or parsed.
	Doc *trustpolicy.PolicyDocument
	Err error
}

// Managed reports whether the policy is a managed (attached) policy.
func (g GrantedPolicy) Managed() bool { return g.ARN != "" }

// PodsFact lists the pods running as the ServiceAccount.
type PodsFact struct {
	Err  error
	Pods []PodFact
}

// PodFact is what preflight needs of one pod of the ServiceAccount.
type PodFact struct {
	Name      string
	CreatedAt time.Time
	Phase     string
	// Workload is the owner to restart ("deployment/x", "statefulset/y"),
	// "" for a bare pod or a Job's pod.
	Workload   string
	Containers []ContainerFact
	// FSGroup is the pod's securityContext.fsGroup.
	FSGroup *int64
	// Node is spec.nodeName; HostNetwork is spec.hostNetwork.
	Node        string
	HostNetwork bool
	// SecretRefs are the Secrets the pod mounts or references.
	SecretRefs []SecretRef
}

// ContainerFact is one container (init containers included) of a pod.
type ContainerFact struct {
	Name string
	// podiam.RoleARN and TokenFile are AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE as injected.
	RoleARN   string
	TokenFile string
	// TokenMounted says a volume is mounted at the token's directory.
	TokenMounted bool
	// NonRoot says the container runs as a user other than 0.
	NonRoot bool
	// StaticKeys lists static-key variables set in its env (names only).
	StaticKeys []string
	// PodIdentity is the injected Pod Identity env and token mount.
	PodIdentity ContainerPodIdentity
}

// ChaosFact is the Litmus objects (litmuschaos.io/v1alpha1) of the namespace.
type ChaosFact struct {
	// CRDsAbsent: the Litmus CRDs are not installed (the checks skip).
	CRDsAbsent bool
	Err        error
	Objects    []ChaosObject
	// MissingExperiment is set when --experiment named a ChaosExperiment
	// that does not exist in the namespace.
	MissingExperiment string
}

// ChaosObject is a ChaosExperiment or ChaosEngine relevant to the check.
type ChaosObject struct {
	Kind, Name string
	// ServiceAccount is a ChaosEngine's chaosServiceAccount.
	ServiceAccount string
	// Experiments are the experiment names it runs (a ChaosExperiment's own
	// name and its runner's -name argument; a ChaosEngine's experiments).
	Experiments []string
	Env         []ChaosEnv
	Secrets     []ChaosSecret
}

// ChaosEnv is one env entry of a chaos object; Path is its JSON pointer.
type ChaosEnv struct {
	Name       string
	Path       string
	FromSecret bool
	// SecretName and SecretKey name the secretKeyRef, when FromSecret.
	SecretName, SecretKey string
}

// ChaosSecret is one secrets entry (name and mountPath) of a chaos object.
type ChaosSecret struct {
	Name      string
	MountPath string
	Path      string
}

// JobFact is the outcome of the verification Job (--run-job).
type JobFact struct {
	JobName string
	// Report is the agent's report, read from its ConfigMap.
	Report *report.Report
	// Err says why no usable report came back.
	Err      error
	Duration time.Duration
}
