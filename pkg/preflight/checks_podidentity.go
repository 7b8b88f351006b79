package preflight

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// EKS Pod Identity check IDs (issue 13; stable).
const (
	IDPodIdentityAssociation = "podidentity.association"
	IDPodIdentityTrust       = "podidentity.trust"
	IDPodIdentitySDK         = "podidentity.sdk"
)

// Names a Pod Identity remedy uses.
func (f Facts) createAssociationCommand() string {
	return fmt.Sprintf("aws eks create-pod-identity-association --cluster-name %s --namespace %s --service-account %s --role-arn %s",
		f.clusterName(), f.Namespace, f.ServiceAccount, f.wantedRoleARN())
}

func (f Facts) dropAnnotationCommand() string {
	return fmt.Sprintf("kubectl annotate serviceaccount -n %s %s %s-", f.Namespace, f.ServiceAccount, podiam.AnnotationRoleARN)
}

// podIdentityTrustRemedy installs the trust policy Pod Identity needs, scoped to the SA.
func (f Facts) podIdentityTrustRemedy(roleName string) string {
	return fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document '%s' "+
		"(trusts %s for %s and %s, scoped to %s/%s; it replaces the current policy, so merge in any other statement you still need)",
		roleName, trustpolicy.PodIdentityTrustDocument(f.Namespace, f.ServiceAccount), podiam.PodIdentityService,
		podiam.ActionAssumeRole, podiam.ActionTagSession, f.Namespace, f.ServiceAccount)
}

// withMechanism adds the mechanism evidence every podidentity.* result carries.
func withMechanism(r result, m mechanisms) result {
	return r.With("mechanism", m.label()).With("experimentMechanism", string(m.experimentMechanism()))
}

func checkPodIdentityAssociation(f Facts) result {
	m := f.mechanisms()
	if r := associationLookup(f, m); r != nil {
		return withMechanism(*r, m)
	}
	a := m.assoc
	r := associationProblem(f, m, a)
	if r == nil {
		msg := fmt.Sprintf("association %s gives %s/%s role %s in cluster %s", a.ID, f.Namespace, f.ServiceAccount, a.RoleARN, f.clusterName())
		r = &result{}
		*r = pass(msg)
	}
	return withMechanism(r.With("associationId", a.ID).With("roleArn", a.RoleARN), m)
}

// associationLookup judges whether the associations are known and whether
// there is one; nil when there is one to judge further.
func associationLookup(f Facts, m mechanisms) *result {
	var r result
	pi := f.PodIdentity
	switch {
	case f.SA.Err != nil || !f.SA.Found:
		r = needsCheck(IDSAExists)
	case pi == nil && m.irsa:
		r = skip("the ServiceAccount uses IRSA; EKS Pod Identity associations were not looked up (pass --cluster NAME)")
	case pi == nil:
		r = skip("EKS Pod Identity associations were not looked up: pass --cluster NAME" + see(IDSARoleAnnotation))
	case pi.Err != nil:
		r = unavailable(pi.Err, "list the EKS Pod Identity associations of cluster "+f.clusterName(),
			"grant the caller eks:ListPodIdentityAssociations, eks:DescribePodIdentityAssociation, eks:ListFargateProfiles and eks:DescribeFargateProfile on cluster "+f.clusterName()+" and retry")
	case !m.podIdentity && m.irsa:
		r = skip(fmt.Sprintf("serviceaccount %s/%s uses IRSA (%s) and has no EKS Pod Identity association in cluster %s",
			f.Namespace, f.ServiceAccount, podiam.AnnotationRoleARN, f.clusterName()))
	case !m.podIdentity:
		r = fail(fmt.Sprintf("serviceaccount %s/%s has neither an EKS Pod Identity association in cluster %s nor an %s annotation: its pods get no role of their own",
			f.Namespace, f.ServiceAccount, f.clusterName(), podiam.AnnotationRoleARN),
			f.createAssociationCommand()+" (or, for IRSA: "+f.annotateCommand(f.Namespace, f.wantedRoleARN())+")")
	default:
		return nil
	}
	return &r
}

// associationProblem judges the association found: described, region,
// Fargate, role, expected role, a second mechanism. nil: it passes.
func associationProblem(f Facts, m mechanisms, a *AssociationFact) *result {
	pi := f.PodIdentity
	toIRSA := fmt.Sprintf("use IRSA instead: aws eks delete-pod-identity-association --cluster-name %s --association-id %s && %s",
		f.clusterName(), a.ID, f.annotateCommand(f.Namespace, orPlaceholder(a.RoleARN, f.wantedRoleARN())))
	var r result
	switch {
	case a.Err != nil:
		r = unavailable(a.Err, "describe Pod Identity association "+a.ID, "grant the caller eks:DescribePodIdentityAssociation on cluster "+f.clusterName()+" and retry")
	case isChinaRegion(pi.Region):
		r = fail(fmt.Sprintf("cluster %s is in region %s: EKS Pod Identity is not available in the China regions, so association %s gives its pods nothing", f.clusterName(), pi.Region, a.ID), toIRSA)
	case pi.Fargate != nil && pi.Fargate.Err != nil:
		r = unavailable(pi.Fargate.Err, "read the Fargate profiles of cluster "+f.clusterName(), "grant the caller eks:ListFargateProfiles and eks:DescribeFargateProfile and retry")
	case fargateOnly(pi.Fargate) != "":
		r = fail(fmt.Sprintf("Fargate profile %s selects every pod of namespace %s: EKS Pod Identity is not available on Fargate", fargateOnly(pi.Fargate), f.Namespace), toIRSA)
	case len(fargatePods(f)) > 0:
		r = fail(fmt.Sprintf("pods %s of serviceaccount %s/%s run on Fargate nodes: EKS Pod Identity is not available on Fargate", strings.Join(fargatePods(f), ", "), f.Namespace, f.ServiceAccount), toIRSA)
	case a.Role == nil:
		r = fail(fmt.Sprintf("association %s names %q, which is not an IAM role ARN", a.ID, a.RoleARN),
			fmt.Sprintf("aws eks update-pod-identity-association --cluster-name %s --association-id %s --role-arn %s", f.clusterName(), a.ID, f.wantedRoleARN()))
	case a.Role.Err != nil:
		r = unavailable(a.Role.Err, "read role "+a.Role.ARN.Name, "grant the caller iam:GetRole on "+a.RoleARN+" and retry")
	case !a.Role.Found:
		r = fail(fmt.Sprintf("association %s names role %s, which does not exist (iam:GetRole: NoSuchEntity)", a.ID, a.RoleARN),
			fmt.Sprintf("aws iam create-role --role-name %s --assume-role-policy-document '%s'", a.Role.ARN.Name, trustpolicy.PodIdentityTrustDocument(f.Namespace, f.ServiceAccount)))
	case f.ExpectedRoleARN != "" && f.ExpectedRoleARN != a.RoleARN:
		r = fail(fmt.Sprintf("association %s gives %s/%s role %s, not %s", a.ID, f.Namespace, f.ServiceAccount, a.RoleARN, f.ExpectedRoleARN),
			fmt.Sprintf("aws eks update-pod-identity-association --cluster-name %s --association-id %s --role-arn %s", f.clusterName(), a.ID, f.ExpectedRoleARN))
	case m.irsa:
		same := "the same role"
		if strings.TrimSpace(f.SA.RoleARN) != a.RoleARN {
			same = fmt.Sprintf("another role (%s) than the association's (%s)", f.SA.RoleARN, a.RoleARN)
		}
		r = warn(fmt.Sprintf("serviceaccount %s/%s has both an EKS Pod Identity association (%s) and an %s annotation naming %s: the SDKs resolve IRSA (web identity) first, so pods use IRSA",
			f.Namespace, f.ServiceAccount, a.ID, podiam.AnnotationRoleARN, same),
			fmt.Sprintf("keep one mechanism: to use Pod Identity, %s and then %s", f.dropAnnotationCommand(), f.restartCommand(f.activePods())))
	case len(pi.Fargate.labelled()) > 0:
		r = warn(fmt.Sprintf("Fargate profile selectors %s match namespace %s: pods with those labels run on Fargate, where EKS Pod Identity is not available",
			strings.Join(pi.Fargate.labelled(), "; "), f.Namespace), "keep the experiment's pods off those labels, or use IRSA for them")
	default:
		return nil
	}
	return &r
}

// fargateOnly names a profile selecting the whole namespace ("" if none).
func fargateOnly(ff *FargateFact) string {
	if ff == nil {
		return ""
	}
	for _, m := range ff.Matches {
		if len(m.Labels) == 0 {
			return m.Profile
		}
	}
	return ""
}

// labelled renders the label-restricted selectors matching the namespace.
func (ff *FargateFact) labelled() []string {
	if ff == nil {
		return nil
	}
	var out []string
	for _, m := range ff.Matches {
		if len(m.Labels) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
				kv = append(kv, k+"="+m.Labels[k])
			}
			out = append(out, m.Profile+" {"+strings.Join(kv, ",")+"}")
		}
	}
	return out
}

// fargatePods are the SA's running pods scheduled on Fargate nodes (EKS
// names them fargate-<ip>).
func fargatePods(f Facts) []string {
	var out []string
	for _, p := range f.activePods() {
		if strings.HasPrefix(p.Node, "fargate-") {
			out = append(out, p.Name)
		}
	}
	return out
}

func checkPodIdentitySDK(f Facts) result {
	m := f.mechanisms()
	if !m.podIdentity {
		return withMechanism(skip("no EKS Pod Identity association"+see(IDPodIdentityAssociation)), m)
	}
	sdk := f.ExperimentSDK
	r := result{}.With("experimentSDK", sdk)
	switch {
	case m.irsa:
		r = pass(fmt.Sprintf("with both mechanisms on the ServiceAccount the experiment's SDK (%s) resolves IRSA first (web identity precedes container credentials in every SDK chain)%s", sdk, see(IDPodIdentityAssociation)))
	case sdk == credcheck.SDKGoV1:
		r = fail(fmt.Sprintf("the experiment's SDK is aws-sdk-go v1.38.59 (--experiment-sdk %s, as litmus-go pins it): releases before %s read %s but not %s and accept an http %s only on a loopback host (aws/defaults/defaults.go), so the experiment gets no credentials through EKS Pod Identity",
			sdk, podiam.MinV1PodIdentity, podiam.EnvContainerAuthToken, podiam.EnvContainerAuthTokenFile, podiam.EnvContainerCredsFullURI),
			fmt.Sprintf("use IRSA for this ServiceAccount (%s, with a web-identity trust on the role), or run an experiment built with aws-sdk-go >= %s or aws-sdk-go-v2 and check it with --experiment-sdk %s",
				f.annotateCommand(f.Namespace, m.assoc.RoleARN), podiam.MinV1PodIdentity, credcheck.SDKGoV2))
	default:
		r = pass(fmt.Sprintf("the experiment's SDK (%s) reads %s and uses EKS Pod Identity", sdk, podiam.EnvContainerAuthTokenFile))
	}
	return withMechanism(r.With("experimentSDK", sdk), m)
}
