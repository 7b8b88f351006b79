package credcheck

import (
	"net/http"
	"os"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
)

// Defaults for Options.
const (
	DefaultIMDSEndpoint = "http://169.254.169.254"
	DefaultIMDSTimeout  = time.Second
	DefaultCallTimeout  = 5 * time.Second
	// LitmusCloudConfig is where Litmus AWS experiments mount the cloud-secret.
	LitmusCloudConfig = "/tmp/cloud_config.yml"
	// DefaultKubeTokenFile is where Kubernetes mounts a pod's own ServiceAccount token.
	DefaultKubeTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

// Environment variables of the pod's identity, from the downward API (the
// AWS ones are podiam's).
const (
	EnvPodName        = "POD_NAME"
	EnvPodNamespace   = "POD_NAMESPACE"
	EnvPodUID         = "POD_UID"
	EnvPodServiceAcct = "POD_SERVICE_ACCOUNT"
)

// Options configure Collect. The zero value is usable: defaults are noted per field.
type Options struct {
	// Audience is the token audience the IAM OIDC provider expects. Default DefaultAudience.
	Audience string
	// DenyRoleARNs are roles this token must NOT be able to assume.
	DenyRoleARNs []string
	// IMDSEndpoint overrides AWS_EC2_METADATA_SERVICE_ENDPOINT; default DefaultIMDSEndpoint.
	IMDSEndpoint string
	// IMDSTimeout bounds each IMDS probe. Default DefaultIMDSTimeout.
	IMDSTimeout time.Duration
	// CallTimeout bounds each AWS call attempt. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// Pod identifies the pod; empty fields are filled from POD_NAME, POD_NAMESPACE,
	// POD_UID and POD_SERVICE_ACCOUNT.
	Pod PodIdentity
	// KubeTokenFile is the pod's automounted Kubernetes token, read (claims
	// only) to learn the ServiceAccount when nothing else names it.
	// Default DefaultKubeTokenFile.
	KubeTokenFile string
	// CredentialFiles are extra files checked for static keys. Default: LitmusCloudConfig.
	CredentialFiles []string
	// HomeDir is where ~/.aws is looked for. Default os.UserHomeDir().
	HomeDir string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// LookupEnv reads the environment. Default os.LookupEnv. The SDK's own
	// credential chain always reads the process environment.
	LookupEnv func(string) (string, bool)
	// HTTPClient is used for the IMDS v1 probe; default a client without proxy.
	HTTPClient *http.Client
	// STS, when set, makes the agent's own STS calls (AssumeRoleWithWebIdentity,
	// GetCallerIdentity) instead of a client built from the SDK configuration;
	// tests inject fakes. The SDK chain's own calls never use it.
	STS STSAPI
	// ExperimentSDK is the SDK family whose default chain chain.source is
	// judged with: SDKGoV2 (default; Chaos Mesh) or SDKGoV1 (litmus-go).
	ExperimentSDK string
}

func (o Options) withDefaults() Options {
	if o.Audience == "" {
		o.Audience = podiam.DefaultAudience
	}
	if o.ExperimentSDK == "" {
		o.ExperimentSDK = SDKGoV2
	}
	if o.IMDSTimeout <= 0 {
		o.IMDSTimeout = DefaultIMDSTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.CredentialFiles == nil {
		o.CredentialFiles = []string{LitmusCloudConfig}
	}
	if o.KubeTokenFile == "" {
		o.KubeTokenFile = DefaultKubeTokenFile
	}
	if o.HomeDir == "" {
		o.HomeDir, _ = os.UserHomeDir()
	}
	fill := func(dst *string, env string) {
		if *dst == "" {
			*dst, _ = o.LookupEnv(env)
		}
	}
	fill(&o.Pod.Name, EnvPodName)
	fill(&o.Pod.Namespace, EnvPodNamespace)
	fill(&o.Pod.UID, EnvPodUID)
	fill(&o.Pod.ServiceAccount, EnvPodServiceAcct)
	if o.HTTPClient == nil {
		// IMDS is link-local: never go through a proxy.
		o.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: nil}}
	}
	return o
}

// sdkName names the SDK, with its version, that judges the chain.
func (o Options) sdkName() string {
	if o.ExperimentSDK == SDKGoV1 {
		return SDKNameV1()
	}
	return SDKNameV2()
}

func (o Options) getenv(k string) string {
	v, _ := o.LookupEnv(k)
	return v
}
