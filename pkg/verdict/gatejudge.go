package verdict

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/pkg/report"
)

// judge applies the gate contract's rules for one set of options. Each rule
// returns nil or the refusal that explains, in one line, why the gate stays
// shut.
type judge struct{ o GateOptions }

// reject builds a GateError for the judged ConfigMap.
func (j judge) reject(reason string, r *report.Report, err error, format string, args ...any) *GateError {
	return &GateError{Reason: reason, Namespace: j.o.Namespace, ConfigMap: j.o.ConfigMap,
		Detail: fmt.Sprintf(format, args...), Report: r, Err: err}
}

// subject requires the report to be for the gate's namespace,
// ServiceAccount and (when given) role.
func (j judge) subject(_ *corev1.ConfigMap, r *report.Report) *GateError {
	if s := r.Subject; s.Namespace != j.o.Namespace || s.ServiceAccount != j.o.ServiceAccount {
		return j.reject(GateSubject, r, nil, "report is for service account %s/%s, not %s/%s",
			s.Namespace, s.ServiceAccount, j.o.Namespace, j.o.ServiceAccount)
	}
	if j.o.RoleArn != "" && r.Subject.RoleArn != j.o.RoleArn {
		return j.reject(GateRole, r, nil, "report is for role %q, not %q", r.Subject.RoleArn, j.o.RoleArn)
	}
	return nil
}

// consistent refuses a ConfigMap whose parts disagree with each other or
// with the report's own checks: a report edited by hand, or half-written.
func (j judge) consistent(cm *corev1.ConfigMap, r *report.Report) *GateError {
	detail := ""
	switch {
	case !r.Verdict.Valid():
		detail = fmt.Sprintf("report verdict %q is not one of pass, warn, fail, error", r.Verdict)
	case len(r.Checks) == 0:
		detail = "report has no checks"
	case report.Aggregate(r.Checks) != r.Verdict:
		detail = fmt.Sprintf("report verdict %s does not follow from its checks (%s)", r.Verdict, report.Aggregate(r.Checks))
	case cm.Labels[LabelVerdict] != string(r.Verdict):
		detail = fmt.Sprintf("label %s=%q disagrees with the report verdict %s", LabelVerdict, cm.Labels[LabelVerdict], r.Verdict)
	case cm.Data[DataVerdict] != string(r.Verdict):
		detail = fmt.Sprintf("data %s=%q disagrees with the report verdict %s", DataVerdict, cm.Data[DataVerdict], r.Verdict)
	case cm.Labels[LabelServiceAccount] != LabelValue(j.o.ServiceAccount):
		detail = fmt.Sprintf("label %s=%q disagrees with service account %s", LabelServiceAccount, cm.Labels[LabelServiceAccount], j.o.ServiceAccount)
	case r.FinishedAt.IsZero() || r.StartedAt.IsZero():
		detail = "report lacks its start or finish time"
	case r.FinishedAt.Before(r.StartedAt):
		detail = fmt.Sprintf("report finished (%s) before it started (%s)", formatTime(r.FinishedAt), formatTime(r.StartedAt))
	}
	if at, ok := cm.Annotations[AnnotationCheckedAt]; detail == "" && ok && at != formatTime(r.FinishedAt) {
		detail = fmt.Sprintf("annotation %s=%q disagrees with the report finish time %s", AnnotationCheckedAt, at, formatTime(r.FinishedAt))
	}
	if detail != "" {
		return j.reject(GateInconsistent, r, nil, "%s: refusing it", detail)
	}
	return nil
}

// complete requires every Required check, once, with a known status.
func (j judge) complete(_ *corev1.ConfigMap, r *report.Report) *GateError {
	seen := make(map[string]bool, len(r.Checks))
	for _, c := range r.Checks {
		if !validStatus(c.Status) {
			return j.reject(GateIncomplete, r, nil, "check %q has status %q, not one of pass, warn, fail, error, skip", c.ID, c.Status)
		}
		if seen[c.ID] {
			return j.reject(GateIncomplete, r, nil, "check %q appears twice", c.ID)
		}
		seen[c.ID] = true
	}
	var missing []string
	for _, id := range j.o.Required {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(j.o.Proof)) {
		for _, id := range j.o.Proof[m] {
			if !seen[id] && !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > 0 {
		return j.reject(GateIncomplete, r, nil, "report lacks the checks %s that every podcred-agent report carries: not a real verification",
			strings.Join(missing, ", "))
	}
	return nil
}

// fresh bounds the report's age and refuses timestamps in the future.
func (j judge) fresh(_ *corev1.ConfigMap, r *report.Report) *GateError {
	now := j.o.Now()
	for _, at := range []time.Time{r.StartedAt, r.FinishedAt} {
		if at.After(now.Add(j.o.ClockSkew)) {
			return j.reject(GateFuture, r, nil, "report is dated %s, %s in the future (beyond the %s clock-skew allowance): refusing it",
				formatTime(at), at.Sub(now).Round(time.Second), j.o.ClockSkew)
		}
	}
	if age := now.Sub(r.FinishedAt); age > j.o.MaxAge {
		return j.reject(GateStale, r, nil, "report is %s old (checked at %s), over the %s max age: run podcred-agent again",
			age.Round(time.Second), formatTime(r.FinishedAt), j.o.MaxAge)
	}
	if r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
		return j.reject(GateExpired, r, nil, "report expired at %s (%s ago): the credentials it vouched for are gone; run podcred-agent again",
			formatTime(*r.ExpiresAt), now.Sub(*r.ExpiresAt).Round(time.Second))
	}
	return nil
}

// unproven lists, per mechanism, the proof checks of r that did not pass
// or warn ("irsa: sts.assume-role=skip"); nil when one mechanism's proof
// checks all passed.
func (j judge) unproven(r *report.Report) []string {
	var out []string
	for _, m := range slices.Sorted(maps.Keys(j.o.Proof)) {
		var bad []string
		for _, id := range j.o.Proof[m] {
			if c := r.Check(id); c.Status != report.StatusPass && c.Status != report.StatusWarn {
				bad = append(bad, id+"="+string(c.Status))
			}
		}
		if len(bad) == 0 {
			return nil
		}
		out = append(out, m+": "+strings.Join(bad, ", "))
	}
	return out
}

// verdict opens on pass, and on warn unless strict; a pass or warn that no
// mechanism's proof checks back (skipped, say) does not open.
func (j judge) verdict(r *report.Report) *GateError {
	switch r.Verdict {
	case report.VerdictPass, report.VerdictWarn:
		if unproven := j.unproven(r); len(unproven) > 0 {
			return j.reject(GateIncomplete, r, nil, "verdict %s, but no mechanism was proven (%s): nothing was proven",
				r.Verdict, strings.Join(unproven, "; "))
		}
		if r.Verdict == report.VerdictWarn && j.o.Strict {
			return j.reject(GateWarned, r, nil, "verdict warn (checks %s) and the gate is strict",
				strings.Join(idsWithStatus(r.Checks, report.StatusWarn), ", "))
		}
		return nil
	case report.VerdictFail:
		return j.reject(GateFailed, r, nil, "verdict fail: failing checks %s", strings.Join(r.FailingIDs(), ", "))
	default: // VerdictError: consistent has ruled out anything else
		return j.reject(GateErrored, r, nil, "verdict error: could not verify (checks %s)", strings.Join(r.FailingIDs(), ", "))
	}
}

// podRanAsSubject refuses a report whose pod still exists, is the same pod
// (UID), and runs as another ServiceAccount. When the pod is gone, was
// replaced, or may not be read (probes usually may not), the rule is
// silent: the admission policy in deploy/ is what binds writer and subject.
func (j judge) podRanAsSubject(ctx context.Context, c CoreClient, r *report.Report) *GateError {
	if r.Subject.Pod == "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, j.o.Timeout)
	pod, err := c.GetPod(cctx, j.o.Namespace, r.Subject.Pod)
	cancel()
	if err != nil || (r.Subject.PodUID != "" && string(pod.UID) != r.Subject.PodUID) {
		return nil
	}
	if sa := pod.Spec.ServiceAccountName; sa != j.o.ServiceAccount {
		return j.reject(GateForeignPod, r, nil, "report names pod %s, which runs as service account %s, not %s: refusing it",
			r.Subject.Pod, sa, j.o.ServiceAccount)
	}
	return nil
}

// validStatus reports whether s is one of the five check statuses.
func validStatus(s report.Status) bool {
	switch s {
	case report.StatusPass, report.StatusSkip, report.StatusWarn, report.StatusError, report.StatusFail:
		return true
	}
	return false
}
