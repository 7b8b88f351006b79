package awsemu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/podcred/podcred/internal/sandbox/world"
)

// Dummy administrator credentials for moto. They are not secret: moto accepts any key.
const (
	AdminAccessKeyID     = "testing"
	AdminSecretAccessKey = "testing"
)

// AdminConfig is an SDK configuration for the sandbox's administrator: dummy
// static keys, the given region, every service at endpoint (the STS front).
// It reads nothing from the environment or ~/.aws and never uses IMDS.
func AdminConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(AdminAccessKeyID, AdminSecretAccessKey, ""),
		BaseEndpoint:     aws.String(endpoint),
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
		RetryMaxAttempts: 2,
	}
}

// EnsureCluster creates the EKS cluster in moto when it is missing and returns its issuer.
func EnsureCluster(ctx context.Context, client *eks.Client, name, account string) (string, error) {
	out, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	var notFound *ekstypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		_, err = client.CreateCluster(ctx, &eks.CreateClusterInput{
			Name:               aws.String(name),
			RoleArn:            aws.String("arn:aws:iam::" + account + ":role/eks-cluster-role"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-0sandbox"}},
		})
		if err != nil {
			return "", fmt.Errorf("eks CreateCluster %s: %w", name, err)
		}
		out, err = client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	}
	if err != nil {
		return "", fmt.Errorf("eks DescribeCluster %s: %w", name, err)
	}
	if out.Cluster == nil || out.Cluster.Identity == nil || out.Cluster.Identity.Oidc == nil || aws.ToString(out.Cluster.Identity.Oidc.Issuer) == "" {
		return "", fmt.Errorf("eks DescribeCluster %s: no OIDC issuer", name)
	}
	return aws.ToString(out.Cluster.Identity.Oidc.Issuer), nil
}

// ApplyIAM creates the world's OIDC providers, managed policies and roles.
// w must be resolved (placeholders expanded); issuer replaces "cluster" URLs.
func ApplyIAM(ctx context.Context, client *iam.Client, w *world.World, issuer string) error {
	for _, p := range w.OIDCProviders {
		url := p.URL
		if url == world.ClusterProvider {
			url = issuer
		}
		_, err := client.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url:            aws.String(url),
			ClientIDList:   p.ClientIDs,
			ThumbprintList: p.Thumbprints,
		})
		if err != nil {
			return fmt.Errorf("iam CreateOpenIDConnectProvider %s: %w", url, err)
		}
	}
	for _, p := range w.Policies {
		doc, err := world.PolicyText(p.Document)
		if err != nil {
			return fmt.Errorf("policy %s: %w", p.Name, err)
		}
		if _, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("iam CreatePolicy %s: %w", p.Name, err)
		}
	}
	for _, r := range w.Roles {
		if err := createRole(ctx, client, w.Account, r); err != nil {
			return err
		}
	}
	return nil
}

// createRole creates one role with its trust policy, inline and attached policies.
func createRole(ctx context.Context, client *iam.Client, account string, r world.Role) error {
	trust, err := world.PolicyText(r.TrustPolicy)
	if err != nil {
		return fmt.Errorf("role %s trust policy: %w", r.Name, err)
	}
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.Name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		return fmt.Errorf("iam CreateRole %s: %w", r.Name, err)
	}
	names := make([]string, 0, len(r.InlinePolicies))
	for name := range r.InlinePolicies {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		doc, err := world.PolicyText(r.InlinePolicies[name])
		if err != nil {
			return fmt.Errorf("role %s inline policy %s: %w", r.Name, name, err)
		}
		if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("iam PutRolePolicy %s/%s: %w", r.Name, name, err)
		}
	}
	for _, p := range r.ManagedPolicies {
		arn := p
		if !strings.HasPrefix(p, "arn:") {
			arn = "arn:aws:iam::" + account + ":policy/" + p
		}
		if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(arn)}); err != nil {
			return fmt.Errorf("iam AttachRolePolicy %s %s: %w", r.Name, arn, err)
		}
	}
	return nil
}

// RoleARN is the ARN of role name in account.
func RoleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// EndpointVars point AWS clients at the STS front. The service-specific ones
// are needed: the Go SDK's default chain builds its web-identity STS client
// before it reads AWS_ENDPOINT_URL, so without AWS_ENDPOINT_URL_STS the chain
// would call the real sts.<region>.amazonaws.com.
var EndpointVars = []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_EKS", "AWS_ENDPOINT_URL_EKS_AUTH"}
