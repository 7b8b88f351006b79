package world

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
)

// Defaults of a world file.
const (
	DefaultAccount     = "123456789012"
	DefaultRegion      = "us-east-1"
	DefaultClusterName = "sandbox"
	// ClusterProvider is the oidcProviders url that stands for the cluster's own issuer.
	ClusterProvider = "cluster"
	// DefaultThumbprint is the thumbprint given to OIDC providers that name none
	// (the sandbox validates tokens by JWKS, like STS does for EKS issuers).
	DefaultThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
)

// NodeName is the one Node object pods are assigned to (no kubelet runs).
const NodeName = "ip-10-0-1-10.ec2.internal"

// IMDSMode says whether pods can reach an instance metadata service.
type IMDSMode string

// IMDS modes.
const (
	// IMDSBlocked: no metadata service; pods get a closed loopback port as endpoint.
	IMDSBlocked IMDSMode = "blocked"
	// IMDSNodeRole: ec2-metadata-mock serves the node's role (NodeRoleName) on loopback.
	IMDSNodeRole IMDSMode = "node-role"
)

// World is a sandbox world file (examples/worlds/*.yaml): everything the
// sandbox creates in moto (IAM, EKS) and in the apiserver. Every string may use
// the placeholders ${ACCOUNT}, ${REGION}, ${CLUSTER}, ${ISSUER} (the cluster's
// issuer URL), ${ISSUER_HOST} (the issuer without https://) and ${PROVIDER_ARN}
// (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER_HOST); IAM's own variables such as
// ${aws:username} are left alone. See examples/worlds/README.md.
type World struct {
	// Account is the AWS account ID; default 123456789012.
	Account string `json:"account,omitempty"`
	// Region is the AWS region; default us-east-1.
	Region string `json:"region,omitempty"`
	// Cluster is the EKS cluster the world pretends to be.
	Cluster Cluster `json:"cluster,omitempty"`
	// OIDCProviders are the IAM OIDC identity providers to create.
	OIDCProviders []OIDCProvider `json:"oidcProviders,omitempty"`
	// Policies are customer managed IAM policies, attachable to roles by name.
	Policies []Policy `json:"policies,omitempty"`
	// Roles are the IAM roles to create.
	Roles []Role `json:"roles,omitempty"`
	// Namespaces hold the Kubernetes objects to create.
	Namespaces []Namespace `json:"namespaces,omitempty"`
	// Objects are further Kubernetes objects of any kind, created as given.
	Objects []map[string]any `json:"objects,omitempty"`
	// IMDS is "blocked" (default) or "node-role".
	IMDS IMDSMode `json:"imds,omitempty"`
	// Nodes are the cluster's worker nodes: instances in moto's EC2 with
	// these metadata options, and Node objects whose providerID names them.
	// The node pods are assigned to (NodeName) is always there, blocking
	// IMDS unless an entry named after it (or without a name) says otherwise.
	Nodes []Node `json:"nodes,omitempty"`
	// PodIdentityAssociations are EKS Pod Identity associations (podidentity.go).
	PodIdentityAssociations []PodIdentityAssociation `json:"podIdentityAssociations,omitempty"`
	// Scenarios name the ServiceAccounts/pods to verify and the expected outcome (for the tour and tests).
	Scenarios []Scenario `json:"scenarios,omitempty"`

	// raw is the file's text before placeholders are expanded.
	raw []byte
	// source names the file, for errors.
	source string
}

// Cluster names the EKS cluster.
type Cluster struct {
	// Name is the EKS cluster name; default "sandbox".
	Name string `json:"name,omitempty"`
	// Issuer is the service-account issuer (https). When empty the cluster is
	// created in moto's EKS and its issuer used, so that eks:DescribeCluster and
	// the apiserver agree; when set, no EKS cluster is created.
	Issuer string `json:"issuer,omitempty"`
}

// OIDCProvider is an IAM OIDC identity provider.
type OIDCProvider struct {
	// URL is the issuer URL, or "cluster" for the cluster's issuer.
	URL string `json:"url"`
	// ClientIDs is the audience list; default [sts.amazonaws.com].
	ClientIDs []string `json:"clientIDs,omitempty"`
	// Thumbprints default to DefaultThumbprint.
	Thumbprints []string `json:"thumbprints,omitempty"`
}

// Policy is a customer managed IAM policy.
type Policy struct {
	Name string `json:"name"`
	// Document is the policy, as a YAML/JSON object (or a JSON string).
	Document json.RawMessage `json:"document"`
}

// Role is an IAM role.
type Role struct {
	Name string `json:"name"`
	// TrustPolicy is the assume-role policy, as a YAML/JSON object (or a JSON string).
	TrustPolicy json.RawMessage `json:"trustPolicy"`
	// InlinePolicies maps a policy name to its document.
	InlinePolicies map[string]json.RawMessage `json:"inlinePolicies,omitempty"`
	// ManagedPolicies are policy names from Policies, or full policy ARNs
	// (AWS managed ones like arn:aws:iam::aws:policy/ReadOnlyAccess work too).
	ManagedPolicies []string `json:"managedPolicies,omitempty"`
}

// Namespace is a Kubernetes namespace and what lives in it.
type Namespace struct {
	Name string `json:"name"`
	// AgentRBAC grants every ServiceAccount of the namespace the agent's Role
	// of deploy/job.yaml, renamed for it: its own report ConfigMap, pod
	// annotations and Events, exactly as shipped.
	AgentRBAC       bool             `json:"agentRBAC,omitempty"`
	ServiceAccounts []ServiceAccount `json:"serviceAccounts,omitempty"`
	Secrets         []Secret         `json:"secrets,omitempty"`
	Pods            []Pod            `json:"pods,omitempty"`
	// Chaos are Litmus objects (kind ChaosExperiment or ChaosEngine; apiVersion
	// defaults to litmuschaos.io/v1alpha1, metadata.namespace to this namespace).
	Chaos []map[string]any `json:"chaos,omitempty"`
}

// ServiceAccount is a Kubernetes ServiceAccount, optionally IRSA-annotated.
type ServiceAccount struct {
	Name string `json:"name"`
	// Role names a role of the world: the annotation becomes arn:aws:iam::ACCOUNT:role/ROLE.
	Role string `json:"role,omitempty"`
	// RoleArn is the annotation as written (wins over Role; may be malformed on purpose).
	RoleArn string `json:"roleArn,omitempty"`
	// Annotations are extra annotations (eks.amazonaws.com/audience, ...).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Automount is automountServiceAccountToken; unset leaves the default.
	Automount *bool `json:"automount,omitempty"`
}

// Secret is an Opaque Secret.
type Secret struct {
	Name       string            `json:"name"`
	StringData map[string]string `json:"stringData"`
}

// Pod is a Pod object (no kubelet runs it: the sandbox marks it Running and
// AgentEnv plays the kubelet's part).
type Pod struct {
	Name           string `json:"name"`
	ServiceAccount string `json:"serviceAccount"`
	// CreatedBeforeAnnotation marks a pod that predates the SA's role annotation:
	// the pod identity webhook did not inject AWS_ROLE_ARN and the token volume.
	CreatedBeforeAnnotation bool `json:"createdBeforeAnnotation,omitempty"`
	// Image defaults to public.ecr.aws/docker/library/busybox:stable.
	Image string `json:"image,omitempty"`
	// Env is the container's environment (the webhook's variables are appended when it injects).
	Env []corev1.EnvVar `json:"env,omitempty"`
	// SecretMounts mount Secrets into the container (e.g. Litmus's cloud-secret at /tmp/).
	SecretMounts []SecretMount `json:"secretMounts,omitempty"`
	// FSGroup, RunAsUser and RunAsNonRoot go to the pod's securityContext.
	FSGroup      *int64 `json:"fsGroup,omitempty"`
	RunAsUser    *int64 `json:"runAsUser,omitempty"`
	RunAsNonRoot *bool  `json:"runAsNonRoot,omitempty"`
	// Labels are the pod's labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Node is the node the pod is assigned to (a name from nodes); default NodeName.
	Node string `json:"node,omitempty"`
	// IRSAInManifest: the pod's manifest carries the IRSA variables and token
	// volume literally (copied from a mutated pod). The webhook adds nothing
	// of IRSA to an SA with a Pod Identity association, so only such a pod
	// carries both mechanisms.
	IRSAInManifest bool `json:"irsaInManifest,omitempty"`
	// HostNetwork puts the pod in the node's network namespace.
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// SecretMount mounts a Secret's keys as files under MountPath.
type SecretMount struct {
	Secret    string `json:"secret"`
	MountPath string `json:"mountPath"`
}

// Scenario is one verification of the tour: which pod to run the agent as,
// what to change, and what the agent must conclude.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Namespace   string `json:"namespace"`
	// ServiceAccount and Pod: the agent runs as this pod (Pod empty: a pod is made for the SA).
	ServiceAccount string `json:"serviceAccount"`
	Pod            string `json:"pod,omitempty"`
	// Expect is the verdict: pass, warn, fail or error.
	Expect string `json:"expect"`
	// Check is the check ID that must carry the non-pass status (empty for pass).
	Check string `json:"check,omitempty"`
	// Env adds variables to the pod's environment (e.g. static keys).
	Env map[string]string `json:"env,omitempty"`
	// Args are extra agent arguments (e.g. --deny-role-arn ...).
	Args []string `json:"args,omitempty"`
	// Token is "" for a fresh token or "expired" for a validly signed, expired one.
	Token string `json:"token,omitempty"`
	// IMDS overrides the world's IMDS mode for this scenario.
	IMDS IMDSMode `json:"imds,omitempty"`
	// ExperimentSDK is the experiment's SDK (go-v2 or go-v1), passed to the
	// agent and to preflight as --experiment-sdk; empty leaves their default.
	ExperimentSDK string `json:"experimentSDK,omitempty"`
	// Preflight is podcred-preflight's expected verdict for the scenario's
	// ServiceAccount (empty: not judged), PreflightCheck the check carrying it.
	Preflight      string `json:"preflight,omitempty"`
	PreflightCheck string `json:"preflightCheck,omitempty"`
}
