package preflightcli

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// errNoCredentials is what preflight says when the SDK's default chain found
// nothing: the chain's last word is about IMDS being disabled or unreachable,
// which points the user at the wrong thing.
var errNoCredentials = errors.New("no AWS credentials found: the SDK default chain tried environment keys, " +
	"AWS_PROFILE and the shared files (~/.aws/credentials, ~/.aws/config), web identity, the container endpoint and IMDS. " +
	"Provide credentials that can call iam:Get* and iam:SimulatePrincipalPolicy: `aws configure` or `aws sso login --profile P` " +
	"then AWS_PROFILE=P, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IRSA or instance role applies")

// explainedCredentials replaces the chain's "nothing found" error with
// errNoCredentials; every other error (a refusal, a broken profile) is kept.
type explainedCredentials struct{ inner aws.CredentialsProvider }

// Retrieve asks the inner provider.
func (p explainedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.inner.Retrieve(ctx)
	if err != nil && nothingFound(err) {
		return c, errNoCredentials
	}
	return c, err
}

// nothingFound recognises the default chain's end: every provider declined,
// the last being IMDS (disabled, or no role / not reachable).
func nothingFound(err error) bool {
	msg := err.Error()
	for _, s := range []string{"no EC2 IMDS role found", "access disabled to EC2 IMDS", "failed to retrieve credentials"} {
		if strings.Contains(msg, s) && strings.Contains(msg, "ec2imds") {
			return true
		}
	}
	return false
}
