package podiam

// EKS Pod Identity: the second way a pod gets its own role. The EKS pod
// identity webhook (aws/amazon-eks-pod-identity-webhook, pkg/handler) injects
// the container-credentials environment and a projected token with its own
// audience; the SDK's container provider sends that token to the node's Pod
// Identity agent, which trades it through eks-auth:AssumeRoleForPodIdentity.
// The role trusts the service principal, not an OIDC provider.
const (
	// PodIdentityService is both the token's audience and the principal the
	// role's trust policy names ({"Service": "pods.eks.amazonaws.com"}).
	PodIdentityService = "pods.eks.amazonaws.com"
	// PodIdentityAudience is the aud claim of the Pod Identity token.
	PodIdentityAudience = PodIdentityService
	// PodIdentityTokenDir is where the webhook mounts the Pod Identity token.
	PodIdentityTokenDir = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
	// PodIdentityTokenPath is AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE on EKS.
	PodIdentityTokenPath = PodIdentityTokenDir + "/eks-pod-identity-token"
	// PodIdentityTokenVolume names the projected token volume.
	PodIdentityTokenVolume = "eks-pod-identity-token"
	// PodIdentityAgentURI is AWS_CONTAINER_CREDENTIALS_FULL_URI on EKS: the
	// node's Pod Identity agent (link-local; podcred never dials it outside a
	// pod — the sandbox serves a loopback stand-in).
	PodIdentityAgentURI = "http://169.254.170.23/v1/credentials"
	// PodIdentityAgentURIv6 is the agent's IPv6 address.
	PodIdentityAgentURIv6 = "http://[fd00:ec2::23]/v1/credentials"
	// PodIdentitySessionPrefix starts the role session name AssumeRoleForPodIdentity
	// gives (assumed-role/<role>/eks-<cluster>-<pod>-<uuid>).
	PodIdentitySessionPrefix = "eks-"
)

// Environment variables of the SDKs' container credentials provider.
const (
	EnvContainerCredsFullURI     = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvContainerCredsRelativeURI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	EnvContainerAuthToken        = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	EnvContainerAuthTokenFile    = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
)

// Actions a Pod Identity role must trust the service principal for: without
// sts:TagSession the agent cannot attach the session tags and the exchange fails.
const (
	ActionAssumeRole = "sts:AssumeRole"
	ActionTagSession = "sts:TagSession"
)

// Session tags AssumeRoleForPodIdentity attaches; trust and permission
// policies may scope on them (aws:RequestTag/<key>, aws:PrincipalTag/<key>).
const (
	TagClusterARN     = "eks-cluster-arn"
	TagClusterName    = "eks-cluster-name"
	TagNamespace      = "kubernetes-namespace"
	TagServiceAccount = "kubernetes-service-account"
	TagPodName        = "kubernetes-pod-name"
	TagPodUID         = "kubernetes-pod-uid"
)

// Mechanism names how a pod gets its role; reports carry it in evidence.
type Mechanism string

// Mechanisms.
const (
	MechanismIRSA        Mechanism = "irsa"
	MechanismPodIdentity Mechanism = "pod-identity"
	MechanismNone        Mechanism = "none"
)

// MinV1PodIdentity is the first aws-sdk-go (v1) release whose container
// provider reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and accepts the Pod
// Identity agent's address (AWS's "supported SDK versions" table). litmus-go
// pins v1.38.59, which cannot use Pod Identity.
const MinV1PodIdentity = "v1.47.11"

// SDKResolves is the mechanism the AWS SDKs' default chains use on a pod that
// has IRSA (irsa) and/or Pod Identity (podIdentity): web identity comes before
// container credentials in every chain (aws-sdk-go-v2
// config/resolve_credentials.go; aws-sdk-go v1 aws/session/credentials.go).
func SDKResolves(irsa, podIdentity bool) Mechanism {
	switch {
	case irsa:
		return MechanismIRSA
	case podIdentity:
		return MechanismPodIdentity
	}
	return MechanismNone
}
