package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// subjectKey names a ServiceAccount in audit.
type subjectKey struct{ ns, name string }

// associatedSubjects lists the ServiceAccounts that have an EKS Pod Identity
// association in the cluster (in namespace, when set), from the cluster's
// whole association list, read once (paginated) and shared by every
// ServiceAccount's collection. A failed listing yields nothing here; each
// ServiceAccount's podidentity.association then reports the error.
func associatedSubjects(ctx context.Context, base Options, namespace string) []subjectKey {
	if base.PodIdentity == nil || base.Cluster == "" {
		return nil
	}
	all, err := base.PodIdentity.AllAssociations(ctx, base.Cluster, base.CallTimeout)
	if err != nil {
		return nil
	}
	var out []subjectKey
	seen := map[subjectKey]bool{}
	for _, a := range all {
		k := subjectKey{aws.ToString(a.Namespace), aws.ToString(a.ServiceAccount)}
		if (namespace != "" && k.ns != namespace) || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}
