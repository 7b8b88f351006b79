package credcheck

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

// Verify runs every agent check: it collects the facts and judges them into
// an AgentReport. It never fails: what could not be verified is an error check.
func Verify(ctx context.Context, o Options) *report.Report {
	start := time.Now().UTC()
	if o.Now != nil {
		start = o.Now().UTC()
	}
	f := Collect(ctx, o)
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Kind:          report.KindAgent,
		Tool:          report.Tool{Name: "podcred-agent", Version: version.Version},
		Subject:       subjectOf(f),
		StartedAt:     start,
		Checks:        Evaluate(f),
	}
	r.Identity = identityOf(f)
	r.ExpiresAt = expiresAt(f)
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	r.Finish(now)
	return r
}

func subjectOf(f Facts) report.Subject {
	s := report.Subject{
		Namespace: f.Pod.Namespace, ServiceAccount: f.Pod.ServiceAccount,
		Pod: f.Pod.Name, PodUID: f.Pod.UID, RoleArn: f.RoleARN,
	}
	claims := f.Claims
	if MechanismsOf(f).Judged() == podiam.MechanismPodIdentity {
		// The role is the one the Pod Identity agent's credentials belong to.
		s.RoleArn, claims = podIdentityRole(f), f.PodIdentity.Claims
	}
	if claims != nil {
		if ns, sa, ok := podiam.ParseSubject(claims.Subject); ok {
			if s.Namespace == "" {
				s.Namespace = ns
			}
			if s.ServiceAccount == "" {
				s.ServiceAccount = sa
			}
		}
	}
	return s
}

// identityOf is who the judged mechanism's credentials are: the IRSA
// session, or the Pod Identity session on a Pod-Identity-only pod.
func identityOf(f Facts) *report.Identity {
	c, source := f.Caller, stscredsWebIdentity
	if MechanismsOf(f).Judged() == podiam.MechanismPodIdentity {
		c, source = f.PodIdentity.Caller, endpointcreds.ProviderName
	}
	if c == nil || c.Err != nil {
		return nil
	}
	return &report.Identity{Account: c.Account, Arn: c.ARN, UserID: c.UserID, Source: source}
}

// stscredsWebIdentity is the source the SDKs name web identity credentials by.
const stscredsWebIdentity = "WebIdentityCredentials"

// expiresAt is when the verdict stops vouching: the earliest expiry of the
// tokens and the issued credentials.
func expiresAt(f Facts) *time.Time {
	var t time.Time
	earliest := func(at time.Time) {
		if !at.IsZero() && (t.IsZero() || at.Before(t)) {
			t = at
		}
	}
	for _, c := range []*Claims{f.Claims, f.PodIdentity.Claims} {
		if c != nil && c.Expiry != nil {
			earliest(c.Expiry.Time)
		}
	}
	if a := f.Assume; a != nil && a.Err == nil {
		earliest(a.Expiration)
	}
	if c := f.PodIdentity.Creds; c != nil && c.Err == nil {
		earliest(c.Expiration)
	}
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
