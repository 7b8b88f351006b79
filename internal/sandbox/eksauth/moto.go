package eksauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// motoBackend reads clusters and roles from moto and assumes roles in moto's
// STS: what EKS Auth does with EKS's, IAM's and STS's state. moto's STS does
// not judge trust (the service does, with iampolicy) and maps the issued key
// to the assumed-role ARN, so GetCallerIdentity answers as AWS would.
type motoBackend struct {
	eks *eks.Client
	iam *iam.Client
	sts *sts.Client
}

var _ Backend = (*motoBackend)(nil)

// NewMotoBackend returns the Backend for moto at url (a loopback URL),
// signing with dummy keys in region.
func NewMotoBackend(url, region string) Backend {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEKSAUTHBACKEND01", "eksauth-dummy-secret", ""),
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
	}
	return &motoBackend{
		eks: eks.NewFromConfig(cfg, func(o *eks.Options) { o.BaseEndpoint = aws.String(url); o.RetryMaxAttempts = 2 }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url); o.RetryMaxAttempts = 2 }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(url); o.RetryMaxAttempts = 2 }),
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Cluster describes the cluster in moto's EKS.
func (m *motoBackend) Cluster(ctx context.Context, name string) (*Cluster, error) {
	out, err := m.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if errorCode(err) == (&ekstypes.ResourceNotFoundException{}).ErrorCode() {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe cluster %s: %w", name, err)
	}
	c := &Cluster{Name: name, ARN: aws.ToString(out.Cluster.Arn)}
	if id := out.Cluster.Identity; id != nil && id.Oidc != nil {
		c.Issuer = aws.ToString(id.Oidc.Issuer)
	}
	if a, err := arn.Parse(c.ARN); err == nil {
		c.Account = a.AccountID
	}
	return c, nil
}

// accountHeader makes moto answer from the role's account.
func accountHeader(account string) func(*iam.Options) {
	return func(o *iam.Options) { o.HTTPClient = headerClient{next: o.HTTPClient, account: account} }
}

type headerClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	account string
}

// Do sends r in the client's account.
func (c headerClient) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set("x-moto-account-id", c.account)
	return c.next.Do(r)
}

// Role gets the role named by roleARN from moto's IAM (nil when it does not exist).
func (m *motoBackend) Role(ctx context.Context, roleARN string) (*Role, error) {
	a, err := arn.Parse(roleARN)
	if err != nil || !strings.HasPrefix(a.Resource, "role/") {
		return nil, nil
	}
	path := strings.TrimPrefix(a.Resource, "role/")
	name := path[strings.LastIndex(path, "/")+1:]
	out, err := m.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}, accountHeader(a.AccountID))
	if errorCode(err) == "NoSuchEntity" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get role %s: %w", name, err)
	}
	if aws.ToString(out.Role.Arn) != roleARN { // another path names another role
		return nil, nil
	}
	return &Role{ARN: roleARN, RoleID: aws.ToString(out.Role.RoleId), TrustPolicy: aws.ToString(out.Role.AssumeRolePolicyDocument)}, nil
}

// AssumeRole assumes the role in moto's STS with the session tags.
func (m *motoBackend) AssumeRole(ctx context.Context, in AssumeRoleInput) (*Issued, error) {
	a, err := arn.Parse(in.RoleARN)
	if err != nil {
		return nil, err
	}
	req := &sts.AssumeRoleInput{RoleArn: aws.String(in.RoleARN), RoleSessionName: aws.String(in.SessionName)}
	for k, v := range in.Tags {
		req.Tags = append(req.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := m.sts.AssumeRole(ctx, req, func(o *sts.Options) {
		o.HTTPClient = headerClient{next: o.HTTPClient, account: a.AccountID}
	})
	if err != nil {
		return nil, fmt.Errorf("assume role %s: %w", in.RoleARN, err)
	}
	c := out.Credentials
	return &Issued{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Expiration: aws.ToTime(c.Expiration),
		AssumedRoleARN: aws.ToString(out.AssumedRoleUser.Arn), AssumedRoleID: aws.ToString(out.AssumedRoleUser.AssumedRoleId),
	}, nil
}
