package preflight

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// podIdentityRequest is the AssumeRole request EKS Auth makes for a pod of
// the ServiceAccount through association a.
func (f Facts) podIdentityRequest(a *AssociationFact) trustpolicy.PodIdentityRequest {
	return trustpolicy.PodIdentityRequest{
		ClusterARN: clusterARN(a.ARN, f.Cluster), ClusterName: f.Cluster,
		Namespace: f.Namespace, ServiceAccount: f.ServiceAccount, NoSessionTags: a.DisableSessionTags,
	}
}

func checkPodIdentityTrust(f Facts) result {
	m := f.mechanisms()
	if !m.podIdentity {
		return withMechanism(skip("no EKS Pod Identity association"+see(IDPodIdentityAssociation)), m)
	}
	a := m.assoc
	if a.Err != nil || a.Role == nil || a.Role.Err != nil || !a.Role.Found {
		return withMechanism(skip("needs the associated role"+see(IDPodIdentityAssociation)), m)
	}
	name := a.Role.ARN.Name
	if err := a.Role.TrustErr; err != nil {
		return withMechanism(fail(fmt.Sprintf("the trust policy of %s is broken: %v", name, err), f.podIdentityTrustRemedy(name)), m)
	}
	req := f.podIdentityRequest(a)
	d := trustpolicy.EvaluatePodIdentityTrust(a.Role.Trust, req)
	r := podIdentityTrustVerdict(f, d, trustpolicy.LintPodIdentityTrust(a.Role.Trust, req), name)
	return withMechanism(r.With("roleArn", a.RoleARN).With("decision", d.Decision()).With("targetRoleArn", a.TargetRoleARN), m)
}

// podIdentityTrustVerdict turns the decision and findings into the result.
func podIdentityTrustVerdict(f Facts, d trustpolicy.PodIdentityDecision, findings []trustpolicy.TrustFinding, role string) result {
	actions := podiam.ActionAssumeRole + " and " + podiam.ActionTagSession
	if !d.TagSessionNeeded {
		actions = podiam.ActionAssumeRole + " (the association disables session tags)"
	}
	who := fmt.Sprintf("%s/%s in cluster %s", f.Namespace, f.ServiceAccount, f.clusterName())
	if d.Allowed() {
		by := joinInts(d.AssumeRole.AllowedBy)
		if d.TagSessionNeeded {
			by += " (" + podiam.ActionTagSession + ": " + joinInts(d.TagSession.AllowedBy) + ")"
		}
		return pass(fmt.Sprintf("statement %s of %s's trust policy lets %s %s for %s", by, role, podiam.PodIdentityService, actions, who))
	}
	var why []string
	for _, l := range findings {
		why = append(why, l.String())
	}
	denied := append(append([]int(nil), d.AssumeRole.DeniedBy...), d.TagSession.DeniedBy...)
	switch {
	case len(denied) > 0:
		why = append([]string{fmt.Sprintf("statement %s denies it (a Deny wins over any Allow)", joinInts(denied))}, why...)
	case len(why) == 0:
		for _, b := range [][]trustpolicy.BlockedStatement{d.AssumeRole.Blocked, d.TagSession.Blocked} {
			if s := describeBlocked(b); s != "" {
				why = append(why, s)
			}
		}
	}
	if len(why) == 0 {
		why = append(why, fmt.Sprintf("no statement allows %s for {\"Service\": %q}", actions, podiam.PodIdentityService))
	}
	return fail(fmt.Sprintf("STS would refuse EKS Pod Identity %s for %s (AccessDenied; the agent answers no credentials): %s",
		actions, who, strings.Join(why, "; ")), f.podIdentityTrustRemedy(role))
}
