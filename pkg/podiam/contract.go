// Package podiam names the contract by which a Kubernetes pod gets an IAM
// role — IRSA (the EKS pod identity webhook's annotations, environment and
// projected token) and the AWS SDKs' environment — and the pieces of AWS that
// come with it: role and OIDC provider ARNs, the ServiceAccount subject, and
// the classes of AWS errors. Every podcred package imports these names from
// here; none spells them again. It imports nothing from Kubernetes.
package podiam

import "strings"

// ServiceAccount annotations read by the EKS pod identity webhook
// (aws/amazon-eks-pod-identity-webhook, pkg/annotations.go).
const (
	// AnnotationRoleARN names the role pods of the ServiceAccount get.
	AnnotationRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationAudience overrides the token audience (default DefaultAudience).
	AnnotationAudience = "eks.amazonaws.com/audience"
	// AnnotationTokenExpiration sets the projected token's lifetime in seconds.
	AnnotationTokenExpiration = "eks.amazonaws.com/token-expiration"
	// AnnotationSTSRegionalEndpoints ("true") injects AWS_STS_REGIONAL_ENDPOINTS=regional.
	AnnotationSTSRegionalEndpoints = "eks.amazonaws.com/sts-regional-endpoints"
	// AnnotationSkipContainers lists containers (comma separated) left alone; on the pod.
	AnnotationSkipContainers = "eks.amazonaws.com/skip-containers"
)

// What the webhook injects into every container.
const (
	// DefaultAudience is the audience of the projected token and the IAM
	// OIDC provider's client ID.
	DefaultAudience = "sts.amazonaws.com"
	// TokenDir is where the projected token is mounted.
	TokenDir = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	// TokenPath is the projected token file (AWS_WEB_IDENTITY_TOKEN_FILE).
	TokenPath = TokenDir + "/token"
	// TokenVolume names the projected token volume.
	TokenVolume = "aws-iam-token"
)

// Environment variables of the AWS SDKs' credential chains.
const (
	EnvRoleARN              = "AWS_ROLE_ARN"
	EnvTokenFile            = "AWS_WEB_IDENTITY_TOKEN_FILE"
	EnvRegion               = "AWS_REGION"
	EnvDefaultRegion        = "AWS_DEFAULT_REGION"
	EnvSTSRegionalEndpoints = "AWS_STS_REGIONAL_ENDPOINTS"
	EnvAccessKeyID          = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey      = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken         = "AWS_SESSION_TOKEN"
	EnvProfile              = "AWS_PROFILE"
	EnvSharedCredsFile      = "AWS_SHARED_CREDENTIALS_FILE"
	EnvConfigFile           = "AWS_CONFIG_FILE"
	EnvIMDSEndpoint         = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
	EnvIMDSDisabled         = "AWS_EC2_METADATA_DISABLED"
)

// SubjectPrefix starts the sub claim of every ServiceAccount token.
const SubjectPrefix = "system:serviceaccount:"

// Subject is the sub claim (and Kubernetes user name) of ServiceAccount sa
// in namespace ns.
func Subject(ns, sa string) string { return SubjectPrefix + ns + ":" + sa }

// ParseSubject splits system:serviceaccount:<ns>:<sa>.
func ParseSubject(sub string) (namespace, serviceAccount string, ok bool) {
	rest, found := strings.CutPrefix(sub, SubjectPrefix)
	if !found {
		return "", "", false
	}
	ns, sa, found := strings.Cut(rest, ":")
	if !found || ns == "" || sa == "" || strings.Contains(sa, ":") {
		return "", "", false
	}
	return ns, sa, true
}
