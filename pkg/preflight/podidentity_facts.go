package preflight

import (
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
)

// PodIdentityFact is what EKS knows of EKS Pod Identity for the
// ServiceAccount: its associations in the cluster (each with its role), the
// cluster's Fargate profiles that select the namespace, and the region.
// Nil in Facts means "not looked up" (no --cluster or no EKS client).
type PodIdentityFact struct {
	// Cluster is the EKS cluster the associations were listed in.
	Cluster string
	// Region is the cluster's region (from an association ARN, else the
	// EKS client's), for the China-region limit.
	Region string
	// Err is the ListPodIdentityAssociations failure: nothing is known.
	Err *podiam.CallError
	// Associations are the cluster's associations for namespace/SA.
	Associations []AssociationFact
	// Fargate is what the Fargate profiles say of the namespace; nil when
	// not read.
	Fargate *FargateFact
}

// AssociationFact is one Pod Identity association, described.
type AssociationFact struct {
	// ID and ARN name the association.
	ID, ARN string
	// Err is the DescribePodIdentityAssociation failure.
	Err *podiam.CallError
	// RoleARN is the associated role; TargetRoleARN the cross-account role it
	// chains to, if any.
	RoleARN       string
	TargetRoleARN string
	// DisableSessionTags: EKS attaches no session tags (no sts:TagSession).
	DisableSessionTags bool
	// CreatedAt is when the association was made (pods older than it were
	// not injected).
	CreatedAt time.Time
	// Role is iam:GetRole of RoleARN (through the shared IAM cache); nil when
	// RoleARN is not a role ARN.
	Role *RoleFact
}

// FargateFact lists the cluster's Fargate profiles whose selectors match the
// namespace: Pod Identity is not available on Fargate.
type FargateFact struct {
	// Err is the ListFargateProfiles/DescribeFargateProfile failure.
	Err *podiam.CallError
	// Matches are the selectors that match the namespace.
	Matches []FargateMatch
}

// FargateMatch is one Fargate profile selector matching the namespace.
type FargateMatch struct {
	Profile string
	// Labels are the selector's pod labels: empty means every pod of the
	// namespace runs on Fargate.
	Labels map[string]string
}

// ContainerPodIdentity is the Pod Identity environment the EKS webhook
// injected into a container, and whether the token volume is mounted.
type ContainerPodIdentity struct {
	// FullURI and TokenFile are AWS_CONTAINER_CREDENTIALS_FULL_URI and
	// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
	FullURI   string
	TokenFile string
	// TokenMounted says a volume is mounted at the token's directory.
	TokenMounted bool
}

// chinaRegions are the regions without EKS Pod Identity (EKS user guide,
// pod-identities.html, "Considerations").
var chinaRegions = map[string]bool{"cn-north-1": true, "cn-northwest-1": true}

// mechanisms is which of the two ways to a role the ServiceAccount is set
// up for, as far as preflight could tell.
type mechanisms struct {
	irsa, podIdentity bool
	// piUnknown: associations were not looked up, or the lookup failed.
	piUnknown bool
	assoc     *AssociationFact
}

// mechanisms reads the SA's annotation and the associations.
func (f Facts) mechanisms() mechanisms {
	m := mechanisms{irsa: f.SA.HasRoleAnnotation}
	pi := f.PodIdentity
	switch {
	case pi == nil || pi.Err != nil:
		m.piUnknown = true
	case len(pi.Associations) > 0:
		m.podIdentity, m.assoc = true, &pi.Associations[0]
	}
	return m
}

// podIdentityOnly: an association and no IRSA annotation.
func (m mechanisms) podIdentityOnly() bool { return m.podIdentity && !m.irsa }

// label names the mechanisms for reports and audit: irsa, pod-identity,
// irsa+pod-identity or none.
func (m mechanisms) label() string {
	switch {
	case m.irsa && m.podIdentity:
		return string(podiam.MechanismIRSA) + "+" + string(podiam.MechanismPodIdentity)
	case m.irsa:
		return string(podiam.MechanismIRSA)
	case m.podIdentity:
		return string(podiam.MechanismPodIdentity)
	}
	return string(podiam.MechanismNone)
}

// experimentMechanism is the mechanism the SDKs resolve first: web
// identity (IRSA) precedes container credentials in every chain
// (aws-sdk-go-v2 config/resolve_credentials.go; aws-sdk-go v1
// aws/session/credentials.go).
func (m mechanisms) experimentMechanism() podiam.Mechanism {
	return podiam.SDKResolves(m.irsa, m.podIdentity)
}

// SubjectRoleARN is the role a report names: the IRSA annotation, else the
// Pod Identity association's role.
func (f Facts) SubjectRoleARN() string {
	if f.SA.HasRoleAnnotation {
		return f.SA.RoleARN
	}
	if m := f.mechanisms(); m.assoc != nil {
		return m.assoc.RoleARN
	}
	return ""
}

// isChinaRegion reports whether EKS Pod Identity is unavailable in region.
func isChinaRegion(region string) bool {
	return chinaRegions[strings.ToLower(strings.TrimSpace(region))]
}
