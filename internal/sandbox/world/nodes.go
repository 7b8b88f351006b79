package world

import (
	"fmt"
)

// Metadata options of a world node (EC2's values).
const (
	HTTPTokensRequired   = "required"
	HTTPTokensOptional   = "optional"
	HTTPEndpointEnabled  = "enabled"
	HTTPEndpointDisabled = "disabled"
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

// AllNodes returns the world's nodes with defaults, NodeName first.
func (w *World) AllNodes() []Node {
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
