package preflight

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// nodesRBACHint is the grant preflight needs to read nodes.
const nodesRBACHint = "nodes are cluster-scoped: grant list on nodes to the identity running preflight " +
	"(kubectl create clusterrole podcred-preflight-nodes --verb=list --resource=nodes && " +
	"kubectl create clusterrolebinding podcred-preflight-nodes --clusterrole=podcred-preflight-nodes --user=<you>)"

// imdsReachable reports whether pods in their own network namespace can
// read the instance's credentials: IMDSv1 allowed, or an IMDSv2 token that
// survives the extra hop into a pod.
func (o IMDSOptions) imdsReachable() bool {
	return o.HTTPEndpoint != "disabled" && (o.HTTPTokens != "required" || o.HopLimit >= 2)
}

func (o IMDSOptions) String() string {
	if o.HTTPEndpoint == "disabled" {
		return "HttpEndpoint=disabled"
	}
	return "HttpTokens=" + o.HTTPTokens + ", HttpPutResponseHopLimit=" + strconv.Itoa(int(o.HopLimit))
}

// nodeGroups sorts the nodes by what can be said of them.
type nodeGroups struct {
	open, blocked, fargate, unknown, missing []NodeFact
}

func groupNodes(nodes []NodeFact) nodeGroups {
	var g nodeGroups
	for _, n := range nodes {
		switch {
		case n.Fargate:
			g.fargate = append(g.fargate, n)
		case n.InstanceID == "":
			g.unknown = append(g.unknown, n)
		case n.NotFound || n.Metadata == nil:
			g.missing = append(g.missing, n)
		case n.Metadata.imdsReachable():
			g.open = append(g.open, n)
		default:
			g.blocked = append(g.blocked, n)
		}
	}
	return g
}

// nodeNames lists up to five node names, then how many more.
func nodeNames(nodes []NodeFact) string {
	var names []string
	for i, n := range nodes {
		if i == 5 {
			names = append(names, fmt.Sprintf("%d more", len(nodes)-5))
			break
		}
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

func checkNodesIMDS(f Facts) result {
	n := f.Nodes
	switch {
	case n == nil:
		return skip("nodes were not read")
	case n.Err != nil && apierrors.IsForbidden(n.Err):
		return errored(fmt.Sprintf("could not list nodes: %v", n.Err), nodesRBACHint)
	case n.Err != nil:
		return errored(fmt.Sprintf("could not list nodes: %v", n.Err), "check the API server and "+nodesRBACHint)
	case len(n.Nodes) == 0:
		return skip("the cluster has no Node objects")
	}
	g := groupNodes(n.Nodes)
	ec2Nodes := len(g.open) + len(g.blocked) + len(g.missing)
	switch {
	case ec2Nodes == 0 && len(g.fargate) == 0:
		return skip(fmt.Sprintf("no node has an EC2 providerID (aws:///<zone>/<instance-id>): %s", nodeNames(g.unknown)))
	case ec2Nodes > 0 && n.DescribeErr != nil:
		return errored(fmt.Sprintf("could not read the nodes' metadata options: %v", n.DescribeErr),
			"grant ec2:DescribeInstances to the identity running preflight (and check AWS_REGION is the cluster's)")
	case ec2Nodes > 0 && n.NoEC2:
		return skip("no EC2 client: the metadata options of " + nodeNames(g.missing) + " were not read")
	}
	if len(g.open)+len(g.blocked) == 0 && len(g.missing) > 0 {
		return errored("ec2:DescribeInstances returned none of the nodes' instances ("+nodeNames(g.missing)+")",
			"run preflight with credentials of the cluster's AWS account (the region is read from each node's zone)")
	}
	notes := nodeNotes(g, n.Truncated)
	if len(g.open) > 0 {
		return nodesOpen(f, g.open, notes)
	}
	if r, ok := hostNetworkWarning(f, n.Nodes, notes); ok {
		return r
	}
	return pass(fmt.Sprintf("pods cannot reach IMDS: %d EC2 nodes require IMDSv2 with hop limit 1 (or disable IMDS)%s",
		len(g.blocked), notes)).With("blockedNodes", nodeNames(g.blocked))
}

// nodeNotes says what was not judged, and why.
func nodeNotes(g nodeGroups, truncated bool) string {
	var notes []string
	if len(g.fargate) > 0 {
		notes = append(notes, fmt.Sprintf("%d Fargate nodes have no IMDS (%s)", len(g.fargate), nodeNames(g.fargate)))
	}
	if len(g.missing) > 0 {
		notes = append(notes, fmt.Sprintf("DescribeInstances did not return the instances of %s (terminated?)", nodeNames(g.missing)))
	}
	if len(g.unknown) > 0 {
		notes = append(notes, fmt.Sprintf("no EC2 providerID on %s", nodeNames(g.unknown)))
	}
	if truncated {
		notes = append(notes, fmt.Sprintf("only the first %d nodes were judged", maxNodes))
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ")
}

// nodesOpen fails naming the nodes whose instances let pods reach IMDS.
func nodesOpen(f Facts, open []NodeFact, notes string) result {
	var what, cmds []string
	for _, n := range open {
		what = append(what, fmt.Sprintf("%s (%s: %s)", n.Name, n.InstanceID, n.Metadata))
		cmds = append(cmds, "aws ec2 modify-instance-metadata-options"+regionFlag(n)+" --instance-id "+n.InstanceID+
			" --http-tokens required --http-put-response-hop-limit 1")
	}
	msg := fmt.Sprintf("pods on %d nodes can reach IMDS, so a pod without IRSA silently gets the node's role: %s",
		len(open), strings.Join(what, "; "))
	if pods := podsOnNodes(f, open); len(pods) > 0 {
		msg += "; pods of " + f.ServiceAccount + " run there: " + strings.Join(pods, ", ")
	}
	remedy := strings.Join(cmds, " && ") + "; for new nodes set the launch template's MetadataOptions " +
		"(HttpTokens=required, HttpPutResponseHopLimit=1), with eksctl: disableIMDSv1: true and disablePodIMDS: true in the node group"
	r := fail(msg+notes, remedy)
	return r.With("openNodes", nodeNames(open))
}

// regionFlag is " --region R" for a node whose region is known.
func regionFlag(n NodeFact) string {
	if r := n.Region(); r != "" {
		return " --region " + r
	}
	return ""
}

// podsOnNodes names the SA's active pods scheduled on nodes.
func podsOnNodes(f Facts, nodes []NodeFact) []string {
	var out []string
	for _, p := range f.activePods() {
		if slices.ContainsFunc(nodes, func(n NodeFact) bool { return n.Name == p.Node }) {
			out = append(out, p.Name)
		}
	}
	return out
}

// hostNetworkWarning warns about the SA's hostNetwork pods on EC2 nodes that
// serve IMDS at all: the hop limit does not stop a pod in the node's network.
func hostNetworkWarning(f Facts, nodes []NodeFact, notes string) (result, bool) {
	var what, fixes []string
	for _, p := range f.activePods() {
		if !p.HostNetwork {
			continue
		}
		i := slices.IndexFunc(nodes, func(n NodeFact) bool { return n.Name == p.Node })
		if i >= 0 && (nodes[i].Fargate || nodes[i].Metadata != nil && nodes[i].Metadata.HTTPEndpoint == "disabled") {
			continue
		}
		node := orPlaceholder(p.Node, "an unscheduled node")
		what = append(what, fmt.Sprintf("pod %s uses hostNetwork on %s", p.Name, node))
		if i >= 0 && nodes[i].InstanceID != "" {
			fixes = append(fixes, "aws ec2 modify-instance-metadata-options"+regionFlag(nodes[i])+" --instance-id "+nodes[i].InstanceID+" --http-endpoint disabled")
		}
	}
	if len(what) == 0 {
		return result{}, false
	}
	remedy := "run the pods without hostNetwork: true"
	if len(fixes) > 0 {
		remedy += ", or turn IMDS off on their nodes: " + strings.Join(fixes, " && ")
	}
	return warn(strings.Join(what, "; ")+": the hop limit does not protect a pod in the node's network, it reaches IMDS as the node does"+notes, remedy), true
}
