package preflight

import (
	"fmt"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// irsaChecks judge the IRSA set-up (OIDC issuer and provider, the annotated
// role and its web-identity trust, the annotation); for a ServiceAccount
// that gets its role through EKS Pod Identity alone they do not apply.
// iam.permissions and iam.least-privilege judge the associated role then
// (Facts.grantedRole).
var irsaChecks = map[string]bool{
	IDClusterOIDCIssuer: true, IDIAMOIDCProvider: true, IDIAMOIDCAudience: true, IDIAMRoleExists: true,
	IDTrustPrincipal: true, IDTrustSubject: true, IDTrustSubjectScoped: true, IDTrustAudience: true, IDTrustOperators: true,
	IDSARoleAnnotation: true,
}

// judge runs check id over f, minding the mechanism: for a
// Pod-Identity-only ServiceAccount the IRSA checks skip, naming Pod
// Identity, and pods.env-injected checks the Pod Identity env instead; for a
// ServiceAccount with neither, sa.role-annotation says either would do.
func judge(id string, fn func(Facts) result, f Facts) result {
	m := f.mechanisms()
	if m.podIdentityOnly() {
		switch {
		case id == IDPodsEnvInjected:
			return checkPodsPodIdentityEnv(f, m.assoc)
		case irsaChecks[id]:
			return skip(fmt.Sprintf("%s/%s uses EKS Pod Identity (association %s), not IRSA: see podidentity.*",
				f.Namespace, f.ServiceAccount, m.assoc.ID)).With("mechanism", string(podiam.MechanismPodIdentity))
		}
	}
	r := fn(f)
	if id == IDSARoleAnnotation && !m.irsa && f.SA.Found && r.Status == report.StatusFail {
		r = eitherMechanism(f, r)
	}
	return r
}

// eitherMechanism extends sa.role-annotation's failure for a ServiceAccount
// without an annotation: Pod Identity would do as well, or could not be
// looked up (then nothing is verified: error).
func eitherMechanism(f Facts, r result) result {
	pi := f.PodIdentity
	switch {
	case pi == nil:
		r.Message += "; EKS Pod Identity associations were not looked up (pass --cluster NAME): either mechanism gives pods a role"
	case pi.Err != nil:
		return errored(r.Message+"; and the EKS Pod Identity associations could not be read"+see(IDPodIdentityAssociation)+": whether its pods get a role is unknown",
			"grant the caller eks:ListPodIdentityAssociations on cluster "+f.clusterName()+" and retry")
	default:
		r.Message += fmt.Sprintf("; nor has it an EKS Pod Identity association in cluster %s: either mechanism would do", f.clusterName())
		r.Remedy += " — or, with EKS Pod Identity: " + f.createAssociationCommand()
	}
	return r
}
