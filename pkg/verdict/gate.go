package verdict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/podcred/podcred/pkg/report"
)

// The gate contract. Every gate form — `podcred-agent gate`, a Litmus
// k8sProbe or cmdProbe, the agent as an init container or as an Argo step —
// opens under the same rule (README, "The gate contract"):
//
//   - Verdicts: pass opens; warn opens unless the gate is strict (the agent
//     exits 0 on warn unless --strict: a k8sProbe allows warn with the
//     set-based selector `podcred.io/verdict in (pass,warn)`); fail, error,
//     a verification still running (verdict "pending") and anything else
//     keep it shut.
//   - Freshness: the report finished no longer than MaxAge ago, is not past
//     its ExpiresAt, and is not dated in the future beyond ClockSkew. Only the
//     agent itself (init container, Argo step right before the chaos step) and
//     this function are freshness-safe; a label selector cannot compare times,
//     which is why the agent marks its ConfigMap pending before it verifies.
//   - Content: a podcred AgentReport of the expected schema for this
//     namespace, ServiceAccount (and role); labels, data and report agree;
//     every Required check is present with a known status and every Proof
//     check of at least one mechanism (IRSA, EKS Pod Identity) passed (or
//     warned), so an all-skip or hand-made report never opens; the ConfigMap is not immutable (podcred never makes it so); and
//     the report's pod, when it still exists and may be read, runs as that
//     ServiceAccount.
//
// Who may write the verdict is enforced by admission, not here: deploy/
// ships a ValidatingAdmissionPolicy that admits writes to podcred-* ConfigMaps
// only from the ServiceAccount they name (and cluster admins).

// DefaultMaxAge is the max age `podcred-agent gate` uses when none is given.
const DefaultMaxAge = time.Hour

// DefaultClockSkew is how far in the future a report's timestamps may lie
// (clocks of the agent's node and the gate's differ a little).
const DefaultClockSkew = time.Minute

// PendingVerdict is the verdict label and data value of a report ConfigMap
// whose agent has started verifying and not yet published (see
// ConfigMapSink.MarkPending). No gate opens on it.
const PendingVerdict = "pending"

// GateOptions says which report the gate reads and what it accepts.
type GateOptions struct {
	// Namespace and ServiceAccount name the subject; both are required.
	Namespace      string
	ServiceAccount string
	// ConfigMap is the report ConfigMap (default ConfigMapName(ServiceAccount)).
	ConfigMap string
	// RoleArn, when set, must equal the report's subject role.
	RoleArn string
	// MaxAge is the oldest report accepted, measured from its finish time.
	// It must be positive: a gate without a freshness bound is a usage error.
	MaxAge time.Duration
	// Strict refuses a warn verdict (by default warn opens, as the agent
	// exits 0 on warn).
	Strict bool
	// Required lists the check IDs a report must carry, each with a known
	// status. Proof maps each mechanism a pod may get its role by ("irsa",
	// "pod-identity") to the checks that prove it: the gate opens only when
	// every check of one mechanism's list passed (or warned), so a report
	// whose proof was skipped for every mechanism never opens. The agent
	// publishes both (credcheck.GateRequired, credcheck.GateProof); Proof
	// must hold at least one non-empty list, and no empty one.
	Required []string
	Proof    map[string][]string
	// ClockSkew is how far in the future timestamps may lie (default
	// DefaultClockSkew).
	ClockSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Timeout bounds each API call (default DefaultCallTimeout).
	Timeout time.Duration
}

// complete fills in defaults and rejects unusable options.
func (o GateOptions) complete() (GateOptions, error) {
	switch {
	case o.Namespace == "" || o.ServiceAccount == "":
		return o, errors.New("gate: namespace and service account are required")
	case o.MaxAge <= 0:
		return o, fmt.Errorf("gate: max age must be positive, not %s: a gate must bound how old a verdict may be", o.MaxAge)
	case len(o.Proof) == 0:
		return o, errors.New("gate: no proof checks given: the gate cannot tell a real report from an empty one")
	case slices.ContainsFunc(slices.Collect(maps.Values(o.Proof)), func(ids []string) bool { return len(ids) == 0 }):
		return o, errors.New("gate: a mechanism has no proof checks: the gate cannot tell a real report from an empty one")
	case o.ClockSkew < 0:
		return o, fmt.Errorf("gate: clock skew %s is negative", o.ClockSkew)
	}
	if o.ConfigMap == "" {
		o.ConfigMap = ConfigMapName(o.ServiceAccount)
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = DefaultClockSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultCallTimeout
	}
	return o, nil
}

// Gate reads the report ConfigMap and returns the report only when the gate
// contract above lets it open.
//
// Any other outcome is a *GateError saying precisely why, in one line; its
// Verdict says what the refusal stands for, and the CLI maps that to an exit
// code. Unusable options are an *OptionsError (bad usage) and make no API call.
func Gate(ctx context.Context, c CoreClient, o GateOptions) (*report.Report, error) {
	o, err := o.complete()
	if err != nil {
		return nil, &OptionsError{Err: err}
	}
	r, gerr := gate(ctx, c, o)
	if gerr != nil {
		return nil, gerr
	}
	return r, nil
}

// gate does Gate's work with completed options.
func gate(ctx context.Context, c CoreClient, o GateOptions) (*report.Report, *GateError) {
	j := judge{o: o}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	cm, err := c.GetConfigMap(cctx, o.Namespace, o.ConfigMap)
	cancel()
	switch {
	case apierrors.IsNotFound(err):
		return nil, j.reject(GateNotFound, nil, nil,
			"not found: run podcred-agent under service account %s (its in-pod default sinks include configmap) before gating", o.ServiceAccount)
	case err != nil:
		return nil, j.reject(GateAPIError, nil, err, "cannot read it")
	}
	r, gerr := j.parse(cm)
	if gerr != nil {
		return nil, gerr
	}
	for _, rule := range []func(*corev1.ConfigMap, *report.Report) *GateError{
		j.subject, j.consistent, j.complete, j.fresh,
	} {
		if gerr := rule(cm, r); gerr != nil {
			return nil, gerr
		}
	}
	if gerr := j.verdict(r); gerr != nil {
		return nil, gerr
	}
	if gerr := j.podRanAsSubject(ctx, c, r); gerr != nil {
		return nil, gerr
	}
	return r, nil
}

// parse checks that cm is podcred's, mutable and not pending, and decodes
// its report.
func (j judge) parse(cm *corev1.ConfigMap) (*report.Report, *GateError) {
	if got := cm.Labels[LabelManagedBy]; got != ManagedByValue {
		return nil, j.reject(GateNotManaged, nil, nil,
			"not labelled %s=%s (found %q): refusing a report podcred did not write", LabelManagedBy, ManagedByValue, got)
	}
	if cm.Immutable != nil && *cm.Immutable {
		return nil, j.reject(GateImmutable, nil, nil,
			"is immutable: podcred never writes an immutable report, so this one was made by someone else; delete it and run podcred-agent again")
	}
	if cm.Labels[LabelVerdict] == PendingVerdict || cm.Data[DataVerdict] == PendingVerdict {
		return nil, j.reject(GatePending, nil, nil,
			"a verification started at %s has not published its verdict (still running, or it crashed): wait for it or run podcred-agent again",
			cm.Annotations[AnnotationStartedAt])
	}
	raw, ok := cm.Data[DataReport]
	if !ok {
		return nil, j.reject(GateUnreadable, nil, nil, "has no %s", DataReport)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, j.reject(GateUnreadable, nil, err, "%s is not a readable report", DataReport)
	}
	if r.SchemaVersion != report.SchemaVersion {
		return nil, j.reject(GateSchema, &r, nil, "report schemaVersion %q is not %s", r.SchemaVersion, report.SchemaVersion)
	}
	if r.Kind != report.KindAgent {
		return nil, j.reject(GateKind, &r, nil, "report kind %q is not %s", r.Kind, report.KindAgent)
	}
	return &r, nil
}
