package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/world"
)

const (
	// nodeImage is an AMI moto knows; the sandbox never boots it.
	nodeImage = "ami-12c6146b"
	// labelComputeType marks EKS Fargate nodes.
	labelComputeType = "eks.amazonaws.com/compute-type"
)

// applyNodes creates the world's instances in moto's EC2 (after a reset,
// so with new instance IDs) and the Node objects naming them, and deletes
// the Node objects a previous world made that this one lacks.
func (s *Sandbox) applyNodes(ctx context.Context, client *ec2.Client, w *world.World) error {
	want := map[string]bool{}
	for _, n := range w.AllNodes() {
		want[n.Name] = true
		providerID, labels := "", map[string]string{}
		if n.Fargate {
			labels[labelComputeType] = "fargate"
		} else {
			id, zone, err := runNodeInstance(ctx, client, w.Region, n)
			if err != nil {
				return err
			}
			providerID = "aws:///" + zone + "/" + id
			labels["topology.kubernetes.io/zone"] = zone
		}
		if err := s.kube.ensureNode(ctx, n.Name, providerID, labels); err != nil {
			return err
		}
	}
	nodes, err := s.kube.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: controlplane.ManagedByLabel + "=" + controlplane.ManagedByValue})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	var errs []error
	for _, n := range nodes.Items {
		if !want[n.Name] {
			errs = append(errs, s.kube.client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}))
		}
	}
	return errors.Join(errs...)
}

// runNodeInstance launches one instance with the node's metadata options
// and returns its ID and availability zone.
func runNodeInstance(ctx context.Context, client *ec2.Client, region string, n world.Node) (string, string, error) {
	zone := region + "a"
	out, err := client.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String(nodeImage), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeM5Large,
		Placement:    &ec2types.Placement{AvailabilityZone: aws.String(zone)},
		MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{
			HttpTokens:              ec2types.HttpTokensState(n.HTTPTokens),
			HttpPutResponseHopLimit: aws.Int32(n.HopLimit),
			HttpEndpoint:            ec2types.InstanceMetadataEndpointState(n.HTTPEndpoint),
		},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(n.Name)}}}},
	})
	if err != nil {
		return "", "", fmt.Errorf("ec2 RunInstances for node %s: %w", n.Name, err)
	}
	if len(out.Instances) != 1 || aws.ToString(out.Instances[0].InstanceId) == "" {
		return "", "", fmt.Errorf("ec2 RunInstances for node %s: no instance", n.Name)
	}
	return aws.ToString(out.Instances[0].InstanceId), zone, nil
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
