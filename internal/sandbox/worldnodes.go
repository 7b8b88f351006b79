package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Metadata options of a world node (EC2's values).
const (
	HTTPTokensRequired   = "required"
	HTTPTokensOptional   = "optional"
	HTTPEndpointEnabled  = "enabled"
	HTTPEndpointDisabled = "disabled"
	// nodeImage is an AMI moto knows; the sandbox never boots it.
	nodeImage = "ami-12c6146b"
	// labelComputeType marks EKS Fargate nodes.
	labelComputeType = "eks.amazonaws.com/compute-type"
)

// Node is a worker node of the world: an EC2 instance in moto with these
// metadata options and a Node object whose spec.providerID is
// aws:///<zone>/<instance-id>, as on EKS. The defaults block pods from IMDS.
type Node struct {
	// Name is the Node's name; default NodeName.
	Name string `json:"name,omitempty"`
	// HTTPTokens is "required" (IMDSv2 only; default) or "optional" (IMDSv1 too).
	HTTPTokens string `json:"httpTokens,omitempty"`
	// HopLimit is HttpPutResponseHopLimit, 1 to 64; default 1 (pods cannot use IMDSv2 tokens).
	HopLimit int32 `json:"hopLimit,omitempty"`
	// HTTPEndpoint is "enabled" (default) or "disabled".
	HTTPEndpoint string `json:"httpEndpoint,omitempty"`
	// Fargate makes a Fargate node: no instance, labelled eks.amazonaws.com/compute-type=fargate.
	Fargate bool `json:"fargate,omitempty"`
}

// withDefaults fills the documented defaults.
func (n Node) withDefaults() Node {
	if n.Name == "" {
		n.Name = NodeName
	}
	if n.HTTPTokens == "" {
		n.HTTPTokens = HTTPTokensRequired
	}
	if n.HopLimit == 0 {
		n.HopLimit = 1
	}
	if n.HTTPEndpoint == "" {
		n.HTTPEndpoint = HTTPEndpointEnabled
	}
	return n
}

// nodes returns the world's nodes with defaults, NodeName first.
func (w *World) nodes() []Node {
	out := []Node{Node{}.withDefaults()}
	for _, n := range w.Nodes {
		n = n.withDefaults()
		if n.Name == NodeName {
			out[0] = n
			continue
		}
		out = append(out, n)
	}
	return out
}

// validateNodes checks the nodes' options and the pods' node names.
func (w *World) validateNodes() []error {
	var errs []error
	names := map[string]bool{}
	for i, n := range w.Nodes {
		n = n.withDefaults()
		if names[n.Name] {
			errs = append(errs, fmt.Errorf("nodes[%d]: duplicate node %q", i, n.Name))
		}
		names[n.Name] = true
		if n.HTTPTokens != HTTPTokensRequired && n.HTTPTokens != HTTPTokensOptional {
			errs = append(errs, fmt.Errorf("nodes[%d] %s: httpTokens %q: want required or optional", i, n.Name, n.HTTPTokens))
		}
		if n.HTTPEndpoint != HTTPEndpointEnabled && n.HTTPEndpoint != HTTPEndpointDisabled {
			errs = append(errs, fmt.Errorf("nodes[%d] %s: httpEndpoint %q: want enabled or disabled", i, n.Name, n.HTTPEndpoint))
		}
		if n.HopLimit < 1 || n.HopLimit > 64 {
			errs = append(errs, fmt.Errorf("nodes[%d] %s: hopLimit %d: want 1 to 64", i, n.Name, n.HopLimit))
		}
	}
	names[NodeName] = true
	for _, ns := range w.Namespaces {
		for _, p := range ns.Pods {
			if p.Node != "" && !names[p.Node] {
				errs = append(errs, fmt.Errorf("pod %s/%s: node %q is not in nodes", ns.Name, p.Name, p.Node))
			}
		}
	}
	return errs
}

// applyNodes creates the world's instances in moto's EC2 (after a reset,
// so with new instance IDs) and the Node objects naming them, and deletes
// the Node objects a previous world made that this one lacks.
func (s *Sandbox) applyNodes(ctx context.Context, client *ec2.Client, w *World) error {
	want := map[string]bool{}
	for _, n := range w.nodes() {
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
	nodes, err := s.kube.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + managedByValue})
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
func runNodeInstance(ctx context.Context, client *ec2.Client, region string, n Node) (string, string, error) {
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
