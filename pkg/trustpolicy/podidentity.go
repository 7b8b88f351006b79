package trustpolicy

import (
	"encoding/json"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

// EKS Pod Identity trust: the node's Pod Identity agent calls
// eks-auth:AssumeRoleForPodIdentity, and EKS Auth then assumes the
// associated role as the service principal pods.eks.amazonaws.com with
// sts:AssumeRole, attaching session tags (sts:TagSession). STS evaluates the
// role's trust policy for both actions with the same request context: the
// session tags as aws:RequestTag/<key> (and their keys as aws:TagKeys), and
// the cluster as aws:SourceAccount / aws:SourceArn. Sources: the EKS user
// guide "Create IAM role with trust policy required by EKS Pod Identity"
// (pod-id-role.html) and "Enable or disable session tags" (pod-id-abac.html).

// PodIdentityRequest is the AssumeRole request EKS Auth makes for a pod of
// Namespace/ServiceAccount in a cluster.
type PodIdentityRequest struct {
	// ClusterARN is arn:<partition>:eks:<region>:<account>:cluster/<name>
	// (aws:SourceArn, tag eks-cluster-arn); ClusterName the tag eks-cluster-name.
	ClusterARN  string
	ClusterName string
	// SourceAccount is the cluster's account (aws:SourceAccount); default:
	// the account of ClusterARN.
	SourceAccount string
	// Namespace and ServiceAccount are the tags kubernetes-namespace and
	// kubernetes-service-account.
	Namespace      string
	ServiceAccount string
	// PodName and PodUID are the tags kubernetes-pod-name and
	// kubernetes-pod-uid; they differ for every pod, so policies rarely test them.
	PodName, PodUID string
	// NoSessionTags is the association's disableSessionTags: no tag is
	// attached, so sts:TagSession is not asked for.
	NoSessionTags bool
}

// Tags returns the session tags the request attaches (none with NoSessionTags).
func (r PodIdentityRequest) Tags() map[string]string {
	if r.NoSessionTags {
		return nil
	}
	tags := map[string]string{}
	for k, v := range map[string]string{
		podiam.TagClusterARN: r.ClusterARN, podiam.TagClusterName: r.ClusterName,
		podiam.TagNamespace: r.Namespace, podiam.TagServiceAccount: r.ServiceAccount,
		podiam.TagPodName: r.PodName, podiam.TagPodUID: r.PodUID,
	} {
		if v != "" {
			tags[k] = v
		}
	}
	return tags
}

// Context returns the request context STS evaluates the trust policy with.
func (r PodIdentityRequest) Context() RequestContext {
	ctx := RequestContext{}
	var keys []string
	for k, v := range r.Tags() {
		ctx.Set("aws:RequestTag/"+k, v)
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		ctx.Set("aws:TagKeys", keys...)
	}
	account := r.SourceAccount
	if parts := strings.SplitN(r.ClusterARN, ":", 6); account == "" && len(parts) == 6 {
		account = parts[4]
	}
	if account != "" {
		ctx.Set("aws:SourceAccount", account)
	}
	if r.ClusterARN != "" {
		ctx.Set("aws:SourceArn", r.ClusterARN)
	}
	ctx.Set("aws:PrincipalServiceName", podiam.PodIdentityService)
	return ctx
}

// PodIdentityDecision is the trust decision for both actions EKS Auth needs.
type PodIdentityDecision struct {
	// AssumeRole is the decision for sts:AssumeRole.
	AssumeRole TrustDecision
	// TagSession is the decision for sts:TagSession; TagSessionNeeded is
	// false when the association disables session tags.
	TagSession       TrustDecision
	TagSessionNeeded bool
}

// Allowed reports whether STS would let EKS Auth assume the role (and tag
// the session when it must).
func (d PodIdentityDecision) Allowed() bool {
	return d.AssumeRole.Allowed() && (!d.TagSessionNeeded || d.TagSession.Allowed())
}

// Decision folds both actions into one: ExplicitDeny when a Deny statement
// matched either, Allow when Allowed, else ImplicitDeny.
func (d PodIdentityDecision) Decision() string {
	switch {
	case d.AssumeRole.Decision == DecisionExplicitDeny || (d.TagSessionNeeded && d.TagSession.Decision == DecisionExplicitDeny):
		return DecisionExplicitDeny
	case d.Allowed():
		return DecisionAllow
	}
	return DecisionImplicitDeny
}

// EvaluatePodIdentityTrust evaluates a trust policy for the request EKS
// Auth makes with IAM's rules (the same condition engine as EvaluateTrust):
// sts:AssumeRole, and sts:TagSession unless session tags are disabled, each
// by the service principal pods.eks.amazonaws.com.
func EvaluatePodIdentityTrust(p *PolicyDocument, r PodIdentityRequest) PodIdentityDecision {
	ctx := r.Context()
	d := PodIdentityDecision{
		AssumeRole:       evaluate(p, PrincipalService, podiam.PodIdentityService, podiam.ActionAssumeRole, ctx),
		TagSessionNeeded: !r.NoSessionTags,
	}
	if d.TagSessionNeeded {
		d.TagSession = evaluate(p, PrincipalService, podiam.PodIdentityService, podiam.ActionTagSession, ctx)
	}
	return d
}

// PodIdentityTrustDocument is the trust policy a Pod Identity role needs,
// scoped to one ServiceAccount with the session tags EKS Pod Identity
// attaches (as the EKS user guide's example in pod-id-role.html does).
func PodIdentityTrustDocument(namespace, serviceAccount string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "AllowEksAuthToAssumeRoleForPodIdentity",
			"Effect":    "Allow",
			"Principal": map[string]string{PrincipalService: podiam.PodIdentityService},
			"Action":    []string{podiam.ActionAssumeRole, podiam.ActionTagSession},
			"Condition": map[string]any{"StringEquals": map[string]string{
				"aws:RequestTag/" + podiam.TagNamespace:      namespace,
				"aws:RequestTag/" + podiam.TagServiceAccount: serviceAccount,
			}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}
