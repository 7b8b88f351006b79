package world

import (
	"errors"
	"fmt"
)

// PodIdentityAssociation is an EKS Pod Identity association of a world: the
// loader creates it through the front's EKS API, as `aws eks
// create-pod-identity-association` would.
type PodIdentityAssociation struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	// Role names a role of the world (arn:aws:iam::ACCOUNT:role/ROLE).
	Role string `json:"role"`
}

// validatePodIdentity checks the world's associations name its roles.
func (w *World) validatePodIdentity() error {
	roles := map[string]bool{}
	for _, r := range w.Roles {
		roles[r.Name] = true
	}
	var errs []error
	for _, a := range w.PodIdentityAssociations {
		if a.Namespace == "" || a.ServiceAccount == "" || !roles[a.Role] {
			errs = append(errs, fmt.Errorf("podIdentityAssociations %s/%s: want namespace, serviceAccount and the name of a role of the world (got %q)", a.Namespace, a.ServiceAccount, a.Role))
		}
	}
	return errors.Join(errs...)
}
