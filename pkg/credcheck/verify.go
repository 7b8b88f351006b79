package credcheck

import (
	"context"
	"time"

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
	if c := f.Caller; c != nil && c.Err == nil {
		r.Identity = &report.Identity{Account: c.Account, Arn: c.ARN, UserID: c.UserID, Source: "WebIdentityCredentials"}
	}
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
	if f.Claims != nil {
		if ns, sa, ok := podiam.ParseSubject(f.Claims.Subject); ok {
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

// expiresAt is when the verdict stops vouching: the earlier of the token's
// and the issued credentials' expiry.
func expiresAt(f Facts) *time.Time {
	var t time.Time
	if f.Claims != nil && f.Claims.Expiry != nil {
		t = f.Claims.Expiry.Time
	}
	if a := f.Assume; a != nil && a.Err == nil && !a.Expiration.IsZero() && (t.IsZero() || a.Expiration.Before(t)) {
		t = a.Expiration
	}
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
