package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// testNodesCLIFidelity compares what the AWS CLI and the SDK read of the
// default node's instance in moto's EC2 (through the front), and both with
// the world's metadata options.
func testNodesCLIFidelity(t *testing.T, s *Sandbox) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	node, err := s.ControlPlane().Client.CoreV1().Nodes().Get(ctx, world.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := node.Spec.ProviderID[strings.LastIndex(node.Spec.ProviderID, "/")+1:]
	out, err := ec2.NewFromConfig(awsemu.AdminConfig(s.EndpointURL(), s.World().Region)).DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("sdk DescribeInstances %s: %v %+v", id, err, out)
	}
	sdk := out.Reservations[0].Instances[0].MetadataOptions
	cli, lookErr := execLookPath("aws")
	if lookErr != nil {
		t.Fatal("the AWS CLI is missing: pip install awscli")
	}
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
		"AWS_ACCESS_KEY_ID=" + awsemu.AdminAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + awsemu.AdminSecretAccessKey,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
	stdout, stderr, err := runCmd(cli, []string{"--endpoint-url", s.EndpointURL(), "--region", s.World().Region, "--output", "json",
		"ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].MetadataOptions"}, env)
	if err != nil {
		t.Fatalf("aws ec2 describe-instances: %v: %s", err, stderr)
	}
	var got struct {
		HttpTokens              string
		HttpPutResponseHopLimit int32
		HttpEndpoint            string
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("aws cli output %q: %v", stdout, err)
	}
	if got.HttpTokens != string(sdk.HttpTokens) || got.HttpPutResponseHopLimit != aws.ToInt32(sdk.HttpPutResponseHopLimit) ||
		got.HttpEndpoint != string(sdk.HttpEndpoint) {
		t.Errorf("aws cli %+v, sdk %+v", got, sdk)
	}
	if got.HttpTokens != world.HTTPTokensRequired || got.HttpPutResponseHopLimit != 1 || got.HttpEndpoint != world.HTTPEndpointEnabled {
		t.Errorf("the default node's options %+v: want the world's default (required, 1, enabled)", got)
	}
}
