package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// DefaultMaxAge is how old a report the gate accepts by default.
const DefaultMaxAge = time.Hour

// GateOptions says which report the gate reads and what it accepts.
type GateOptions struct {
	// Namespace and ServiceAccount name the subject; both are required.
	Namespace      string
	ServiceAccount string
	// ConfigMap is the report ConfigMap (default ConfigMapName(ServiceAccount)).
	ConfigMap string
	// RoleArn, when set, must equal the report's subject role.
	RoleArn string
	// MaxAge is the oldest report accepted, measured from its finish time
	// (default DefaultMaxAge).
	MaxAge time.Duration
	// AllowWarn accepts a warn verdict.
	AllowWarn bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Timeout bounds the API call (default DefaultCallTimeout).
	Timeout time.Duration
}

// complete fills in defaults and rejects unusable options.
func (o GateOptions) complete() (GateOptions, error) {
	if o.Namespace == "" || o.ServiceAccount == "" {
		return o, errors.New("gate: namespace and service account are required")
	}
	if o.MaxAge < 0 {
		return o, fmt.Errorf("gate: max age %s is negative", o.MaxAge)
	}
	if o.ConfigMap == "" {
		o.ConfigMap = ConfigMapName(o.ServiceAccount)
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultCallTimeout
	}
	return o, nil
}

// Gate reads the report ConfigMap and returns the report only when it is
// podcred's, readable, a fresh AgentReport for o's namespace, ServiceAccount
// (and role, when o.RoleArn is set), consistent with its labels, and says
// pass (or warn, with o.AllowWarn).
//
// Any other outcome is an *ExitError whose Err is a *GateError saying
// precisely why, and whose Code is GateError.ExitCode(): main can use CodeOf
// directly, and errors.As reaches the GateError. Unusable options are a
// UsageError (exit 2).
func Gate(ctx context.Context, c CoreClient, o GateOptions) (*Report, error) {
	o, err := o.complete()
	if err != nil {
		return nil, UsageError(err)
	}
	r, gerr := gate(ctx, c, o)
	if gerr != nil {
		return nil, &ExitError{Code: gerr.ExitCode(), Err: gerr}
	}
	return r, nil
}

// gate does Gate's work with completed options.
func gate(ctx context.Context, c CoreClient, o GateOptions) (*Report, *GateError) {
	reject := func(reason string, r *Report, err error, format string, args ...any) *GateError {
		return &GateError{Reason: reason, Namespace: o.Namespace, ConfigMap: o.ConfigMap,
			Detail: fmt.Sprintf(format, args...), Report: r, Err: err}
	}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	cm, err := c.GetConfigMap(cctx, o.Namespace, o.ConfigMap)
	cancel()
	switch {
	case apierrors.IsNotFound(err):
		return nil, reject(GateNotFound, nil, nil,
			"not found: run podcred-agent under service account %s (its in-pod default sinks include configmap) before gating", o.ServiceAccount)
	case err != nil:
		return nil, reject(GateAPIError, nil, err, "cannot read it")
	}
	if got := cm.Labels[LabelManagedBy]; got != ManagedByValue {
		return nil, reject(GateNotManaged, nil, nil,
			"not labelled %s=%s (found %q): refusing a report podcred did not write", LabelManagedBy, ManagedByValue, got)
	}
	raw, ok := cm.Data[DataReport]
	if !ok {
		return nil, reject(GateUnreadable, nil, nil, "has no %s", DataReport)
	}
	var r Report
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, reject(GateUnreadable, nil, err, "%s is not a readable report", DataReport)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, reject(GateSchema, &r, nil, "report schemaVersion %q is not %s", r.SchemaVersion, SchemaVersion)
	}
	if r.Kind != KindAgent {
		return nil, reject(GateKind, &r, nil, "report kind %q is not %s", r.Kind, KindAgent)
	}
	if s := r.Subject; s.Namespace != o.Namespace || s.ServiceAccount != o.ServiceAccount {
		return nil, reject(GateSubject, &r, nil, "report is for service account %s/%s, not %s/%s",
			s.Namespace, s.ServiceAccount, o.Namespace, o.ServiceAccount)
	}
	if o.RoleArn != "" && r.Subject.RoleArn != o.RoleArn {
		return nil, reject(GateRole, &r, nil, "report is for role %q, not %q", r.Subject.RoleArn, o.RoleArn)
	}
	if detail := inconsistency(cm, &r, o.ServiceAccount); detail != "" {
		return nil, reject(GateInconsistent, &r, nil, "%s: refusing it", detail)
	}
	now := o.Now()
	if age := now.Sub(r.FinishedAt); age > o.MaxAge {
		return nil, reject(GateStale, &r, nil, "report is %s old (checked at %s), over the %s max age: run podcred-agent again",
			age.Round(time.Second), formatTime(r.FinishedAt), o.MaxAge)
	}
	if r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
		return nil, reject(GateExpired, &r, nil, "report expired at %s (%s ago): the credentials it vouched for are gone; run podcred-agent again",
			formatTime(*r.ExpiresAt), now.Sub(*r.ExpiresAt).Round(time.Second))
	}
	switch r.Verdict {
	case VerdictPass:
		return &r, nil
	case VerdictWarn:
		if o.AllowWarn {
			return &r, nil
		}
		return nil, reject(GateWarned, &r, nil, "verdict warn (checks %s): allow warnings to accept it",
			strings.Join(idsWithStatus(r.Checks, StatusWarn), ", "))
	case VerdictFail:
		return nil, reject(GateFailed, &r, nil, "verdict fail: failing checks %s", strings.Join(r.FailingIDs(), ", "))
	default: // VerdictError: inconsistency has ruled out anything else
		return nil, reject(GateErrored, &r, nil, "verdict error: could not verify (checks %s)", strings.Join(r.FailingIDs(), ", "))
	}
}

// inconsistency returns why the ConfigMap's parts disagree with each other
// or with the report's own checks, or "" when they agree. A report edited by
// hand, or half-written, is refused rather than trusted.
func inconsistency(cm *corev1.ConfigMap, r *Report, sa string) string {
	switch {
	case !validVerdict(r.Verdict):
		return fmt.Sprintf("report verdict %q is not one of pass, warn, fail, error", r.Verdict)
	case len(r.Checks) == 0:
		return "report has no checks"
	case Aggregate(r.Checks) != r.Verdict:
		return fmt.Sprintf("report verdict %s does not follow from its checks (%s)", r.Verdict, Aggregate(r.Checks))
	case cm.Labels[LabelVerdict] != string(r.Verdict):
		return fmt.Sprintf("label %s=%q disagrees with the report verdict %s", LabelVerdict, cm.Labels[LabelVerdict], r.Verdict)
	case cm.Data[DataVerdict] != string(r.Verdict):
		return fmt.Sprintf("data %s=%q disagrees with the report verdict %s", DataVerdict, cm.Data[DataVerdict], r.Verdict)
	case cm.Labels[LabelServiceAccount] != LabelValue(sa):
		return fmt.Sprintf("label %s=%q disagrees with service account %s", LabelServiceAccount, cm.Labels[LabelServiceAccount], sa)
	case r.FinishedAt.IsZero():
		return "report has no finish time"
	}
	if at, ok := cm.Annotations[AnnotationCheckedAt]; ok && at != formatTime(r.FinishedAt) {
		return fmt.Sprintf("annotation %s=%q disagrees with the report finish time %s", AnnotationCheckedAt, at, formatTime(r.FinishedAt))
	}
	return ""
}
