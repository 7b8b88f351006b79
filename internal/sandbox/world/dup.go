package world

import (
	"fmt"
	"strings"
)

// duplicates finds every name given twice where the sandbox would create the
// object twice, and names both places by their path in the world file
// (roles[3], namespaces[1].serviceAccounts[0]). Validation runs before
// anything starts, so a duplicate is a usage error in milliseconds instead of
// a raw API error after the control plane came up (or, for namespaces, a
// silent merge). IAM names (roles, policies) are unique regardless of case,
// as in IAM; Kubernetes and OIDC names are compared exactly.
func (w *World) duplicates() []error {
	var errs []error
	seen := func(kind string, fold bool) func(name, path string) {
		first := map[string]string{}
		return func(name, path string) {
			key := name
			if fold {
				key = strings.ToLower(name)
			}
			if at, dup := first[key]; dup {
				errs = append(errs, fmt.Errorf("%s: duplicate %s %q (first defined at %s)", path, kind, name, at))
				return
			}
			first[key] = path
		}
	}
	provider := seen("OIDC provider", false)
	for i, p := range w.OIDCProviders {
		provider(p.URL, fmt.Sprintf("oidcProviders[%d]", i))
	}
	policy := seen("IAM policy", true)
	for i, p := range w.Policies {
		policy(p.Name, fmt.Sprintf("policies[%d]", i))
	}
	role := seen("IAM role", true)
	for i, r := range w.Roles {
		role(r.Name, fmt.Sprintf("roles[%d]", i))
	}
	namespace := seen("namespace", false)
	for i, ns := range w.Namespaces {
		path := fmt.Sprintf("namespaces[%d]", i)
		namespace(ns.Name, path)
		sa := seen("serviceAccount in namespace "+ns.Name, false)
		for j, s := range ns.ServiceAccounts {
			sa(s.Name, fmt.Sprintf("%s.serviceAccounts[%d]", path, j))
		}
		pod := seen("pod in namespace "+ns.Name, false)
		for j, p := range ns.Pods {
			pod(p.Name, fmt.Sprintf("%s.pods[%d]", path, j))
		}
	}
	scenario := seen("scenario", false)
	for i, s := range w.Scenarios {
		scenario(s.Name, fmt.Sprintf("scenarios[%d]", i))
	}
	return errs
}
