package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/trustpolicy"
)

// broadManagedPolicies are AWS managed policies far beyond any chaos fault.
var broadManagedPolicies = map[string]bool{
	"AdministratorAccess": true, "PowerUserAccess": true, "IAMFullAccess": true,
}

// PrivilegeFindings lists the grants of the role's policies that go far
// beyond what the faults need: every action (`*`, Allow with NotAction),
// AdministratorAccess/PowerUserAccess/IAMFullAccess, IAM wildcards,
// sts:AssumeRole on any role, and — when faults are known — whole-service
// wildcards and services none of the faults use.
func PrivilegeFindings(policies []GrantedPolicy, faults []Fault) []string {
	var out []string
	needed := FaultActions(faults)
	services := map[string]int{}
	for _, a := range needed {
		svc, _, _ := strings.Cut(strings.ToLower(a), ":")
		services[svc]++
	}
	extra := map[string][]string{} // service -> policies granting it though no fault needs it
	for _, p := range policies {
		label := "inline policy " + p.Name
		if p.Managed() {
			label = "managed policy " + p.ARN
			if _, name, ok := strings.Cut(p.ARN, ":iam::aws:policy/"); ok && broadManagedPolicies[name] {
				out = append(out, fmt.Sprintf("%s is attached: it grants far more than chaos faults need", p.ARN))
			}
		}
		if p.Err != nil {
			out = append(out, fmt.Sprintf("%s could not be read: %v", label, p.Err))
			continue
		}
		if p.Doc == nil {
			continue
		}
		for _, s := range p.Doc.Statements {
			if s.Effect != "Allow" {
				continue
			}
			where := fmt.Sprintf("%s statement %d", label, s.Index)
			if s.HasNotAction {
				out = append(out, fmt.Sprintf("%s allows every action except %s (Allow with NotAction)", where, strings.Join(s.Actions, ", ")))
				continue
			}
			anyResource := !s.HasResourceElem || (!s.HasNotResource && slices.ContainsFunc(s.Resources, func(r string) bool {
				return r == "*" || trustpolicy.WildcardMatch(r, "arn:aws:iam::000000000000:role/any", false)
			}))
			for _, a := range s.Actions {
				svc, op, _ := strings.Cut(strings.ToLower(a), ":")
				switch {
				case a == "*" || a == "*:*":
					out = append(out, fmt.Sprintf("%s allows every action (%q)", where, a))
					continue
				case svc == "iam" && strings.ContainsAny(op, "*?"):
					out = append(out, fmt.Sprintf("%s allows %s: the role could grant itself anything", where, a))
					continue
				case svc == "sts" && trustpolicy.WildcardMatch(a, "sts:AssumeRole", true) && anyResource:
					out = append(out, fmt.Sprintf("%s allows %s on any role: the pod could hop to any role that trusts this account", where, a))
					continue
				}
				if len(faults) == 0 {
					continue
				}
				if n := services[svc]; n > 0 && op == "*" {
					out = append(out, fmt.Sprintf("%s allows %s where the faults need %d %s actions", where, a, n, svc))
				} else if n == 0 && svc != "sts" && !slices.Contains(extra[svc], label) {
					extra[svc] = append(extra[svc], label)
				}
			}
		}
	}
	for _, svc := range sortedKeys(extra) {
		out = append(out, fmt.Sprintf("%s grants %s actions that none of the faults (%s) need", strings.Join(extra[svc], ", "), svc, faultNames(faults)))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func checkLeastPrivilege(f Facts) result {
	role, roleCheck, ok := f.grantedRole()
	if !ok || f.Role == nil || !f.Role.Found {
		return needsCheck(roleCheck)
	}
	g := f.Grants
	switch {
	case g == nil:
		return skip("the role's policies were not read")
	case g.Err != nil:
		// Least privilege is advice, not a gate: not being able to read the
		// policies is a warning, not a reason to block the experiment.
		return warn(fmt.Sprintf("could not read the policies of %s: %s", role.Name, g.Err.Error()),
			"grant the caller iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy and iam:GetPolicyVersion").
			With("errorCode", g.Err.Code)
	}
	findings := PrivilegeFindings(g.Policies, f.Faults)
	if len(findings) == 0 {
		msg := fmt.Sprintf("the policies of %s (%d) grant nothing far beyond the faults", role.Name, len(g.Policies))
		if len(f.Faults) == 0 {
			msg = fmt.Sprintf("the policies of %s (%d): no wildcard, admin policy or role hopping", role.Name, len(g.Policies))
		}
		return pass(msg)
	}
	fix := fmt.Sprintf("replace the broad grants of %s with the faults' actions", role.Name)
	if len(f.Faults) > 0 {
		fix += ": " + actionPolicy(FaultActions(f.Faults))
	}
	return warn(strings.Join(findings, "; "), fix).With("findings", fmt.Sprint(len(findings)))
}
