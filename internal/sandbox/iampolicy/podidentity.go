package iampolicy

import (
	"sort"

	"github.com/podcred/podcred/pkg/podiam"
)

// PodIdentity is the request context EKS Auth builds when it assumes a pod's
// role for AssumeRoleForPodIdentity: the service principal
// pods.eks.amazonaws.com calls sts:AssumeRole with session tags
// (sts:TagSession), from the cluster's account and ARN. Tag keys and the two
// actions are from the EKS user guide ("Create a role for EKS Pod Identity",
// "Define permissions based on tags") and pkg/podiam.
type PodIdentity struct {
	// Account is the cluster's account (aws:SourceAccount).
	Account string
	// ClusterARN is the cluster's ARN (aws:SourceArn, tag eks-cluster-arn).
	ClusterARN     string
	ClusterName    string
	Namespace      string
	ServiceAccount string
	PodName        string
	PodUID         string
	// DisableSessionTags leaves the session tags out (the association's
	// disableSessionTags): the role then needs no sts:TagSession.
	DisableSessionTags bool
}

// SessionTags are the tags EKS Auth attaches to the role session, by key.
func (p PodIdentity) SessionTags() map[string]string {
	if p.DisableSessionTags {
		return nil
	}
	tags := map[string]string{
		podiam.TagClusterARN:     p.ClusterARN,
		podiam.TagClusterName:    p.ClusterName,
		podiam.TagNamespace:      p.Namespace,
		podiam.TagServiceAccount: p.ServiceAccount,
		podiam.TagPodName:        p.PodName,
		podiam.TagPodUID:         p.PodUID,
	}
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
		}
	}
	return tags
}

// Context returns the request context: aws:RequestTag/<key> for every session
// tag, aws:TagKeys, aws:SourceAccount and aws:SourceArn.
func (p PodIdentity) Context() Context {
	ctx := Context{}
	tags := p.SessionTags()
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		ctx.Set("aws:RequestTag/"+k, v)
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		ctx.Set("aws:TagKeys", keys...)
	}
	if p.Account != "" {
		ctx.Set("aws:SourceAccount", p.Account)
	}
	if p.ClusterARN != "" {
		ctx.Set("aws:SourceArn", p.ClusterARN)
	}
	return ctx
}

// Requests returns the evaluations the exchange needs: sts:AssumeRole, and
// sts:TagSession unless session tags are disabled.
func (p PodIdentity) Requests() []Request {
	principal := &RequestPrincipal{Type: PrincipalService, ID: podiam.PodIdentityService}
	out := []Request{{Action: podiam.ActionAssumeRole, Principal: principal, Context: p.Context()}}
	if !p.DisableSessionTags {
		out = append(out, Request{Action: podiam.ActionTagSession, Principal: principal, Context: p.Context()})
	}
	return out
}

// PodIdentityResult is the outcome of EvaluatePodIdentity: one Result per action.
type PodIdentityResult struct {
	// ByAction holds the result of each action evaluated.
	ByAction map[string]Result
	// Denied is the first action refused (empty when all are allowed).
	Denied string
}

// Allowed reports whether every action was allowed.
func (r PodIdentityResult) Allowed() bool { return r.Denied == "" }

// EvaluatePodIdentity evaluates a role's trust policy for an
// AssumeRoleForPodIdentity exchange: the role must let the service principal
// perform sts:AssumeRole and (with session tags) sts:TagSession; both are
// decided by IAM's logic with the same context.
func EvaluatePodIdentity(trust *Policy, p PodIdentity) PodIdentityResult {
	out := PodIdentityResult{ByAction: map[string]Result{}}
	for _, req := range p.Requests() {
		res := Evaluate([]Source{{ID: "trust", Type: "resource", Policy: trust}}, req)
		out.ByAction[req.Action] = res
		if !res.Allowed() && out.Denied == "" {
			out.Denied = req.Action
		}
	}
	return out
}
