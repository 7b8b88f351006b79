package preflightcli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/preflight"
)

// usage is a bad-usage error (exit 2).
func usage(format string, args ...any) error {
	return cli.UsageError(fmt.Errorf(format, args...))
}

// validIssuer accepts https URLs with a host.
func validIssuer(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("want an https URL such as https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE")
	}
	return nil
}

// NewKubeClients builds the clientset and dynamic client from the kubectl
// flags (--kubeconfig, --context, KUBECONFIG, in-cluster config), with
// cli.KubeTimeout on every request.
func NewKubeClients(f *genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	cfg.Timeout = cli.KubeTimeout
	// audit reads many objects: client-go's default rate limit (5 QPS)
	// would make it wait, not the API server. kubectl allows as much.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return kc, dc, cfg, nil
}

// defaultRegion is used when neither AWS_REGION nor the shared config names
// one: IAM is global, and eks:DescribeCluster then needs AWS_REGION.
const defaultRegion = "us-east-1"

// NewAWSClients loads the SDK's default configuration (credential chain,
// AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_EKS)
// with bounded retries: throttling, 5xx and network errors are retried with
// jitter (3 attempts, backoff at most 1 s), refusals are not; each attempt
// is bounded by the HTTP client's timeout and each call by its context.
func NewAWSClients(ctx context.Context, callTimeout time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error) {
	cfg, err := loadAWSConfig(ctx, callTimeout)
	if err != nil {
		return nil, nil, err
	}
	return iam.NewFromConfig(cfg), eks.NewFromConfig(cfg), nil
}

// NewEC2Client builds the EC2 client nodes.imds reads metadata options
// with, from the same configuration as NewAWSClients (AWS_ENDPOINT_URL_EC2 too).
func NewEC2Client(ctx context.Context, callTimeout time.Duration) (preflight.DescribeInstancesAPI, error) {
	cfg, err := loadAWSConfig(ctx, callTimeout)
	if err != nil {
		return nil, err
	}
	return ec2.NewFromConfig(cfg), nil
}

// loadAWSConfig loads the SDK's default configuration with bounded retries.
func loadAWSConfig(ctx context.Context, callTimeout time.Duration) (aws.Config, error) {
	attempt := callTimeout / 2
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithDefaultRegion(defaultRegion),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(attempt)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = time.Second
			})
		}),
	)
	if err != nil {
		return aws.Config{}, cli.UsageError(fmt.Errorf("load AWS configuration: %w", err))
	}
	if cfg.Credentials != nil {
		cfg.Credentials = aws.NewCredentialsCache(explainedCredentials{cfg.Credentials})
	}
	return cfg, nil
}
