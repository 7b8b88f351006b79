package preflight

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/pkg/podiam"
)

// DescribeInstancesAPI reads the nodes' EC2 metadata options. *ec2.Client implements it.
type DescribeInstancesAPI interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

var _ DescribeInstancesAPI = (*ec2.Client)(nil)

// Bounds of the nodes collection.
const (
	// maxNodes bounds the nodes judged (and listed: one page).
	maxNodes = 1000
	// instancesPerCall is the most instance IDs one DescribeInstances filter takes.
	instancesPerCall = 200
)

// Node labels and providerID forms that say how a node runs.
const (
	labelComputeType = "eks.amazonaws.com/compute-type"
	computeFargate   = "fargate"
	awsProviderIDPre = "aws:///"
)

// NodesFact is the cluster's nodes and their instances' metadata options.
type NodesFact struct {
	// Err is the failure to list nodes (RBAC: list nodes, cluster-scoped).
	Err   error
	Nodes []NodeFact
	// Truncated says more than maxNodes nodes exist; the rest were not judged.
	Truncated bool
	// NoEC2 says no EC2 client was given: instances were not described.
	NoEC2 bool
	// DescribeErr is the ec2:DescribeInstances failure.
	DescribeErr *podiam.CallError
}

// NodeFact is one Node and, for an EC2 node, its instance's metadata options.
type NodeFact struct {
	Name       string
	ProviderID string
	// InstanceID and Zone come from an aws:///<zone>/<instance-id> providerID.
	InstanceID string
	Zone       string
	// Fargate: a Fargate node (no IMDS reachable from pods).
	Fargate bool
	// Metadata is the instance's MetadataOptions; nil when not described.
	Metadata *IMDSOptions
	// NotFound: DescribeInstances did not return the instance (terminated?).
	NotFound bool
}

// IMDSOptions are an instance's metadata options, as EC2 reports them.
type IMDSOptions struct {
	HTTPTokens   string // required | optional
	HopLimit     int32
	HTTPEndpoint string // enabled | disabled
}

// nodeFact reduces a Node to its providerID parts.
func nodeFact(n *corev1.Node) NodeFact {
	nf := NodeFact{Name: n.Name, ProviderID: n.Spec.ProviderID}
	nf.Fargate = n.Labels[labelComputeType] == computeFargate || strings.HasPrefix(n.Name, "fargate-")
	if rest, ok := strings.CutPrefix(nf.ProviderID, awsProviderIDPre); ok {
		parts := strings.Split(rest, "/")
		last := parts[len(parts)-1]
		if strings.Contains(last, "fargate") {
			nf.Fargate = true
		}
		if strings.HasPrefix(last, "i-") && !nf.Fargate {
			nf.InstanceID = last
			if len(parts) > 1 {
				nf.Zone = parts[0]
			}
		}
	}
	return nf
}

// nodesOf lists the cluster's nodes once per KubeSource and describes their
// instances with one DescribeInstances call per instancesPerCall IDs.
func (k *KubeSource) nodesOf(ctx context.Context, c DescribeInstancesAPI, timeout time.Duration) *NodesFact {
	nf, _ := k.nodes.do("", func() (*NodesFact, error) {
		cctx, cancel := context.WithTimeout(ctx, k.timeout())
		l, err := k.Client.CoreV1().Nodes().List(cctx, metav1.ListOptions{Limit: maxNodes})
		cancel()
		if err != nil {
			return &NodesFact{Err: fmt.Errorf("list nodes: %w", err)}, nil
		}
		nf := &NodesFact{Truncated: l.Continue != ""}
		for i := range l.Items {
			nf.Nodes = append(nf.Nodes, nodeFact(&l.Items[i]))
		}
		describeNodes(ctx, c, nf, timeout)
		return nf, nil
	})
	return nf
}

// describeNodes fills the metadata options of nf's EC2 nodes. It filters by
// instance-id rather than naming InstanceIds, so that one terminated
// instance does not fail the whole call (InvalidInstanceID.NotFound).
func describeNodes(ctx context.Context, c DescribeInstancesAPI, nf *NodesFact, timeout time.Duration) {
	byRegion := map[string][]string{} // the zone's region ("" for the client's own)
	var regions []string
	for _, n := range nf.Nodes {
		r := zoneRegion(n.Zone)
		if n.InstanceID != "" && !slices.Contains(byRegion[r], n.InstanceID) {
			if byRegion[r] == nil {
				regions = append(regions, r)
			}
			byRegion[r] = append(byRegion[r], n.InstanceID)
		}
	}
	if len(regions) == 0 {
		return
	}
	if c == nil {
		nf.NoEC2 = true
		return
	}
	found := map[string]IMDSOptions{}
	for _, r := range regions {
		ids := byRegion[r]
		for start := 0; start < len(ids); start += instancesPerCall {
			if nf.DescribeErr = describeBatch(ctx, c, r, ids[start:min(start+instancesPerCall, len(ids))], found, timeout); nf.DescribeErr != nil {
				return
			}
		}
	}
	for i := range nf.Nodes {
		n := &nf.Nodes[i]
		if n.InstanceID == "" {
			continue
		}
		if o, ok := found[n.InstanceID]; ok {
			n.Metadata = &o
		} else {
			n.NotFound = true
		}
	}
}

// describeBatch describes up to instancesPerCall instances in region ("":
// the client's), following NextToken, into found.
func describeBatch(ctx context.Context, c DescribeInstancesAPI, region string, ids []string, found map[string]IMDSOptions, timeout time.Duration) *podiam.CallError {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: ids}}}
	var opts []func(*ec2.Options)
	if region != "" {
		opts = append(opts, func(o *ec2.Options) { o.Region = region })
	}
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := c.DescribeInstances(cctx, in, opts...)
		cancel()
		if err != nil {
			return podiam.Classify("DescribeInstances", err)
		}
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				found[aws.ToString(inst.InstanceId)] = imdsOptions(inst.MetadataOptions)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
	return nil
}

// zoneRE matches a standard availability zone name (us-east-1a, us-gov-west-1b).
var zoneRE = regexp.MustCompile(`^([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]+)[a-z]$`)

// zoneRegion is the region of a standard availability zone, "" otherwise
// (Local and Wavelength Zones: the client's region is used).
func zoneRegion(zone string) string {
	if m := zoneRE.FindStringSubmatch(zone); m != nil {
		return m[1]
	}
	return ""
}

// Region is the node's region, from its zone ("" when unknown).
func (n NodeFact) Region() string { return zoneRegion(n.Zone) }

// imdsOptions reads EC2's answer; absent fields take EC2's defaults
// (tokens optional, hop limit 1, endpoint enabled).
func imdsOptions(m *ec2types.InstanceMetadataOptionsResponse) IMDSOptions {
	o := IMDSOptions{HTTPTokens: "optional", HopLimit: 1, HTTPEndpoint: "enabled"}
	if m == nil {
		return o
	}
	if m.HttpTokens != "" {
		o.HTTPTokens = string(m.HttpTokens)
	}
	if m.HttpPutResponseHopLimit != nil {
		o.HopLimit = *m.HttpPutResponseHopLimit
	}
	if m.HttpEndpoint != "" {
		o.HTTPEndpoint = string(m.HttpEndpoint)
	}
	return o
}
