package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// The EKS calls the Pod Identity checks make, one interface per call.
type (
	// ListPodIdentityAssociationsAPI lists a cluster's associations.
	ListPodIdentityAssociationsAPI interface {
		ListPodIdentityAssociations(ctx context.Context, in *eks.ListPodIdentityAssociationsInput, opts ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error)
	}
	// DescribePodIdentityAssociationAPI reads an association's role.
	DescribePodIdentityAssociationAPI interface {
		DescribePodIdentityAssociation(ctx context.Context, in *eks.DescribePodIdentityAssociationInput, opts ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error)
	}
	// ListFargateProfilesAPI lists a cluster's Fargate profiles.
	ListFargateProfilesAPI interface {
		ListFargateProfiles(ctx context.Context, in *eks.ListFargateProfilesInput, opts ...func(*eks.Options)) (*eks.ListFargateProfilesOutput, error)
	}
	// DescribeFargateProfileAPI reads a Fargate profile's selectors.
	DescribeFargateProfileAPI interface {
		DescribeFargateProfile(ctx context.Context, in *eks.DescribeFargateProfileInput, opts ...func(*eks.Options)) (*eks.DescribeFargateProfileOutput, error)
	}
)

// PodIdentityAPI is every EKS call the Pod Identity checks make.
type PodIdentityAPI interface {
	ListPodIdentityAssociationsAPI
	DescribePodIdentityAssociationAPI
	ListFargateProfilesAPI
	DescribeFargateProfileAPI
}

var _ PodIdentityAPI = (*eks.Client)(nil)

// maxAssociations bounds the associations described for one ServiceAccount
// (EKS allows one per ServiceAccount and cluster).
const maxAssociations = 10

// PodIdentitySource reads EKS Pod Identity facts. Shared by every
// ServiceAccount of an audit, it reads a cluster's whole association list
// and its Fargate profiles once. It is safe for concurrent use.
type PodIdentitySource struct {
	// API makes the EKS calls (*eks.Client).
	API PodIdentityAPI
	// Region is the EKS client's region, used when no association ARN names one.
	Region string

	all     memo[[]ekstypes.PodIdentityAssociationSummary]
	fargate memo[[]FargateMatchSet]
}

// FargateMatchSet is one Fargate profile's selectors.
type FargateMatchSet struct {
	// Profile is the profile's name; Selectors its namespace/label selectors.
	Profile   string
	Selectors []ekstypes.FargateProfileSelector
}

// NewPodIdentitySource returns a PodIdentitySource over api in region.
func NewPodIdentitySource(api PodIdentityAPI, region string) *PodIdentitySource {
	return &PodIdentitySource{API: api, Region: region}
}

// AllAssociations lists every association of the cluster (paginated,
// bounded by maxPages), once per source.
func (s *PodIdentitySource) AllAssociations(ctx context.Context, cluster string, timeout time.Duration) ([]ekstypes.PodIdentityAssociationSummary, error) {
	return s.all.do(cluster, func() ([]ekstypes.PodIdentityAssociationSummary, error) {
		return s.list(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)}, timeout)
	})
}

func (s *PodIdentitySource) list(ctx context.Context, in *eks.ListPodIdentityAssociationsInput, timeout time.Duration) ([]ekstypes.PodIdentityAssociationSummary, error) {
	var out []ekstypes.PodIdentityAssociationSummary
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		got, err := s.API.ListPodIdentityAssociations(cctx, in)
		cancel()
		if err != nil {
			return nil, err
		}
		out = append(out, got.Associations...)
		if got.NextToken == nil || aws.ToString(got.NextToken) == "" {
			return out, nil
		}
		in.NextToken = got.NextToken
	}
	return out, nil
}

// collect gathers the Pod Identity facts of ns/sa in cluster: its
// associations (filtered by EKS, or from the cluster's whole list when
// fromList, as audit does), each described and its role read through iamc,
// and — when there is one — the Fargate profiles selecting the namespace.
func (s *PodIdentitySource) collect(ctx context.Context, iamc GetRoleAPI, cluster, ns, sa string, fromList bool, timeout time.Duration) *PodIdentityFact {
	pf := &PodIdentityFact{Cluster: cluster, Region: s.Region}
	var sums []ekstypes.PodIdentityAssociationSummary
	var err error
	if fromList {
		var all []ekstypes.PodIdentityAssociationSummary
		all, err = s.AllAssociations(ctx, cluster, timeout)
		for _, a := range all {
			if aws.ToString(a.Namespace) == ns && aws.ToString(a.ServiceAccount) == sa {
				sums = append(sums, a)
			}
		}
	} else {
		sums, err = s.list(ctx, &eks.ListPodIdentityAssociationsInput{
			ClusterName: aws.String(cluster), Namespace: aws.String(ns), ServiceAccount: aws.String(sa)}, timeout)
	}
	if err != nil {
		pf.Err = podiam.Classify("ListPodIdentityAssociations", err)
		return pf
	}
	for i, sum := range sums {
		if i == maxAssociations {
			break
		}
		a := s.describe(ctx, iamc, cluster, sum, timeout)
		if r := regionOfARN(a.ARN); r != "" {
			pf.Region = r
		}
		pf.Associations = append(pf.Associations, a)
	}
	if len(pf.Associations) > 0 {
		pf.Fargate = s.fargateFor(ctx, cluster, ns, timeout)
	}
	return pf
}

// describe reads one association and its role.
func (s *PodIdentitySource) describe(ctx context.Context, iamc GetRoleAPI, cluster string, sum ekstypes.PodIdentityAssociationSummary, timeout time.Duration) AssociationFact {
	a := AssociationFact{ID: aws.ToString(sum.AssociationId), ARN: aws.ToString(sum.AssociationArn)}
	cctx, cancel := callCtx(ctx, timeout)
	out, err := s.API.DescribePodIdentityAssociation(cctx, &eks.DescribePodIdentityAssociationInput{
		ClusterName: aws.String(cluster), AssociationId: sum.AssociationId})
	cancel()
	if err != nil {
		a.Err = podiam.Classify("DescribePodIdentityAssociation", err)
		return a
	}
	if out.Association == nil {
		a.Err = &podiam.CallError{Operation: "DescribePodIdentityAssociation", Code: "MalformedResponse", Message: "the answer holds no association"}
		return a
	}
	d := out.Association
	a.RoleARN, a.TargetRoleARN = aws.ToString(d.RoleArn), aws.ToString(d.TargetRoleArn)
	a.DisableSessionTags = aws.ToBool(d.DisableSessionTags)
	if d.CreatedAt != nil {
		a.CreatedAt = *d.CreatedAt
	}
	if a.ARN == "" {
		a.ARN = aws.ToString(d.AssociationArn)
	}
	if role, err := podiam.ParseRoleARN(a.RoleARN); err == nil && iamc != nil {
		a.Role = collectRole(ctx, iamc, role, timeout)
	}
	return a
}

// fargateFor reads the cluster's Fargate profiles (once) and returns the
// selectors matching namespace ns (namespace selectors take * and ?).
func (s *PodIdentitySource) fargateFor(ctx context.Context, cluster, ns string, timeout time.Duration) *FargateFact {
	sets, err := s.fargate.do(cluster, func() ([]FargateMatchSet, error) { return s.fargateProfiles(ctx, cluster, timeout) })
	if err != nil {
		ce := &podiam.CallError{}
		if !errors.As(err, &ce) {
			ce = podiam.Classify("ListFargateProfiles", err)
		}
		return &FargateFact{Err: ce}
	}
	ff := &FargateFact{}
	for _, set := range sets {
		for _, sel := range set.Selectors {
			if trustpolicy.WildcardMatch(aws.ToString(sel.Namespace), ns, false) {
				ff.Matches = append(ff.Matches, FargateMatch{Profile: set.Profile, Labels: sel.Labels})
			}
		}
	}
	return ff
}

func (s *PodIdentitySource) fargateProfiles(ctx context.Context, cluster string, timeout time.Duration) ([]FargateMatchSet, error) {
	var names []string
	in := &eks.ListFargateProfilesInput{ClusterName: aws.String(cluster)}
	for page := 0; page < maxPages; page++ {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := s.API.ListFargateProfiles(cctx, in)
		cancel()
		if err != nil {
			return nil, podiam.Classify("ListFargateProfiles", err)
		}
		names = append(names, out.FargateProfileNames...)
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	var sets []FargateMatchSet
	for _, name := range names {
		cctx, cancel := callCtx(ctx, timeout)
		out, err := s.API.DescribeFargateProfile(cctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
		cancel()
		if err != nil {
			return nil, podiam.Classify("DescribeFargateProfile", err)
		}
		if out.FargateProfile != nil {
			sets = append(sets, FargateMatchSet{Profile: name, Selectors: out.FargateProfile.Selectors})
		}
	}
	return sets, nil
}

// regionOfARN is the region field of an ARN ("" when s is not an ARN).
func regionOfARN(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// clusterARN is the cluster's ARN, built from an association ARN
// (arn:<p>:eks:<region>:<account>:podidentityassociation/<cluster>/<id>).
func clusterARN(assocARN, cluster string) string {
	parts := strings.SplitN(assocARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "eks" || cluster == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", parts[1], parts[3], parts[4], cluster)
}
