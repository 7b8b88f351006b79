package verdict

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/verdict/typedcore"

	"github.com/podcred/podcred/pkg/report"
)

// reportConfigMap returns the ConfigMap the sink would write for r.
func reportConfigMap(t *testing.T, r *report.Report) *corev1.ConfigMap {
	t.Helper()
	cm, err := desiredConfigMap(r)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func TestGate(t *testing.T) {
	tests := []struct {
		name        string
		report      *report.Report          // what the agent wrote; nil for no ConfigMap
		cm          func(*corev1.ConfigMap) // changes made to it afterwards
		opts        func(*GateOptions)
		pod         *corev1.Pod // a pod the gate may read
		now         time.Time   // zero means t0 + 10 minutes
		wantReason  string      // "" means the gate opens
		wantVerdict report.Verdict
		wantInMsg   []string
	}{
		{name: "a fresh passing report opens the gate", report: passing()},
		{name: "a passing report for the expected role opens the gate", report: passing(),
			opts: func(o *GateOptions) { o.RoleArn = testRole }},
		{name: "a warning opens the gate, as the agent exits 0 on warn", report: withVerdict(report.VerdictWarn)},
		{name: "a report dated within the clock-skew allowance opens the gate", report: passing(), now: t0.Add(-30 * time.Second)},
		{name: "a report whose pod runs as its service account opens the gate", report: passing(),
			pod: reportPod(testSA, "0b6f1c6e-7d2a-4c55-9f57-2a3b4c5d6e7f")},
		{name: "a report whose pod was replaced by a namesake opens the gate", report: passing(),
			pod: reportPod("someone-else", "another-uid")},
		{name: "a two-hour-old report without expiry opens a gate whose max age is three hours",
			report: func() *report.Report { r := passing(); r.ExpiresAt = nil; return r }(),
			now:    t0.Add(2 * time.Hour), opts: func(o *GateOptions) { o.MaxAge = 3 * time.Hour; o.Now = nil }},
		{name: "a report under a custom configmap name is found", report: passing(),
			cm: func(cm *corev1.ConfigMap) { cm.Name = "custom" }, opts: func(o *GateOptions) { o.ConfigMap = "custom" }},

		{name: "a warning closes a strict gate", report: withVerdict(report.VerdictWarn), opts: func(o *GateOptions) { o.Strict = true },
			wantReason: GateWarned, wantVerdict: report.VerdictWarn, wantInMsg: []string{"verdict warn", "creds.shared-file", "strict"}},
		{name: "a failing report closes the gate and lists the failing checks", report: withVerdict(report.VerdictFail),
			wantReason: GateFailed, wantVerdict: report.VerdictFail, wantInMsg: []string{"verdict fail", "token.audience, sts.assume-role"}},
		{name: "a report whose checks are all skipped closes the gate", report: newReport(allSkipped()),
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"sts.assume-role=skip", "nothing was proven"}},
		{name: "a Pod Identity pod's pass opens the gate", report: podIdentityReport(nil)},
		{name: "a Pod Identity report whose proof was skipped closes the gate",
			report:     podIdentityReport(map[string]report.Status{"podidentity.credentials": report.StatusSkip, "podidentity.caller-identity": report.StatusSkip}),
			wantReason: GateIncomplete, wantVerdict: report.VerdictError,
			wantInMsg: []string{"pod-identity: podidentity.credentials=skip, podidentity.caller-identity=skip", "irsa: env.role-arn=skip", "nothing was proven"}},
		{name: "a Pod Identity pass whose chain was not judged closes the gate",
			report:     podIdentityReport(map[string]report.Status{"chain.source": report.StatusSkip}),
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"pod-identity: chain.source=skip"}},
		{name: "an IRSA report whose proof was skipped closes the gate though its Pod Identity checks were skipped too",
			report:     newReport(map[string]report.Status{"sts.assume-role": report.StatusSkip, "sts.caller-identity": report.StatusSkip}),
			wantReason: GateIncomplete, wantVerdict: report.VerdictError,
			wantInMsg: []string{"irsa: sts.assume-role=skip, sts.caller-identity=skip", "pod-identity: podidentity.env=skip"}},
		{name: "a report without its Pod Identity checks is incomplete", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				rewriteReport(cm, func(r *report.Report) {
					r.Checks = slices.DeleteFunc(r.Checks, func(c report.Check) bool { return slices.Contains(podIdentityIDs, c.ID) })
				})
			},
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"lacks the checks podidentity.env"}},
		{name: "a pass whose identity checks were skipped closes the gate", report: newReport(map[string]report.Status{"chain.source": report.StatusSkip}),
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"chain.source=skip"}},
		{name: "a forged report with one made-up passing check closes the gate", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				rewriteReport(cm, func(r *report.Report) {
					r.Checks = r.Checks[:0]
					r.Checks = append(r.Checks, report.Check{ID: "anything", Status: report.StatusPass})
				})
			},
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"lacks the checks env.role-arn", "not a real verification"}},
		{name: "a check with an unknown status closes the gate", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { rewriteReport(cm, func(r *report.Report) { r.Checks[2].Status = "ok" }) },
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{`"token.claims" has status "ok"`}},
		{name: "a check listed twice closes the gate", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				rewriteReport(cm, func(r *report.Report) { r.Checks = append(r.Checks, r.Checks[0]) })
			},
			wantReason: GateIncomplete, wantVerdict: report.VerdictError, wantInMsg: []string{"appears twice"}},
		{name: "an immutable configmap closes the gate", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { yes := true; cm.Immutable = &yes },
			wantReason: GateImmutable, wantVerdict: report.VerdictError, wantInMsg: []string{"immutable"}},
		{name: "a verification in progress closes the gate", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				cm.Labels[LabelVerdict], cm.Data = PendingVerdict, map[string]string{DataVerdict: PendingVerdict}
				cm.Annotations[AnnotationStartedAt] = "2026-11-26T10:09:00Z"
			},
			wantReason: GatePending, wantVerdict: report.VerdictError, wantInMsg: []string{"started at 2026-11-26T10:09:00Z", "has not published"}},
		{name: "a report dated ten years ahead closes the gate", report: passing(), now: t0.AddDate(-10, 0, 0),
			wantReason: GateFuture, wantVerdict: report.VerdictError, wantInMsg: []string{"in the future", "clock-skew"}},
		{name: "a report that finished before it started closes the gate", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				rewriteReport(cm, func(r *report.Report) { r.StartedAt = r.FinishedAt.Add(time.Second) })
			},
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"before it started"}},
		{name: "a report whose pod runs as another service account closes the gate", report: passing(),
			pod:        reportPod("intruder", "0b6f1c6e-7d2a-4c55-9f57-2a3b4c5d6e7f"),
			wantReason: GateForeignPod, wantVerdict: report.VerdictError, wantInMsg: []string{"runs as service account intruder"}},
		{name: "an error verdict closes the gate as unverified", report: withVerdict(report.VerdictError),
			wantReason: GateErrored, wantVerdict: report.VerdictError, wantInMsg: []string{"verdict error", "isolation.imds"}},

		{name: "a missing configmap says to run the agent", report: nil,
			wantReason: GateNotFound, wantVerdict: report.VerdictError, wantInMsg: []string{"litmus/podcred-litmus-admin", "not found", "run podcred-agent"}},
		{name: "a configmap not labelled as podcred's is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { delete(cm.Labels, LabelManagedBy) },
			wantReason: GateNotManaged, wantVerdict: report.VerdictError, wantInMsg: []string{"app.kubernetes.io/managed-by=podcred"}},
		{name: "a configmap without report.json is unreadable", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { delete(cm.Data, DataReport) },
			wantReason: GateUnreadable, wantVerdict: report.VerdictError, wantInMsg: []string{"has no report.json"}},
		{name: "a report.json that is not JSON is unreadable", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Data[DataReport] = `{"verdict":"pass"` },
			wantReason: GateUnreadable, wantVerdict: report.VerdictError, wantInMsg: []string{"not a readable report"}},
		{name: "an unknown schema version is refused", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				cm.Data[DataReport] = strings.Replace(cm.Data[DataReport], "podcred.io/v1", "podcred.io/v2", 1)
			},
			wantReason: GateSchema, wantVerdict: report.VerdictError, wantInMsg: []string{`"podcred.io/v2"`}},
		{name: "a preflight report is not an agent report", report: func() *report.Report { r := passing(); r.Kind = report.KindPreflight; return r }(),
			wantReason: GateKind, wantVerdict: report.VerdictError, wantInMsg: []string{"PreflightReport"}},
		{name: "a report for another service account is refused", report: passing(),
			opts:       func(o *GateOptions) { o.ServiceAccount = "other"; o.ConfigMap = ConfigMapName(testSA) },
			wantReason: GateSubject, wantVerdict: report.VerdictError, wantInMsg: []string{"litmus/litmus-admin, not litmus/other"}},
		{name: "a report for another namespace is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Namespace = "default" },
			opts:       func(o *GateOptions) { o.Namespace = "default" },
			wantReason: GateSubject, wantVerdict: report.VerdictError, wantInMsg: []string{"not default/litmus-admin"}},
		{name: "a report for another role is refused", report: passing(),
			opts:       func(o *GateOptions) { o.RoleArn = "arn:aws:iam::111122223333:role/other" },
			wantReason: GateRole, wantVerdict: report.VerdictError, wantInMsg: []string{"role/other"}},

		{name: "a verdict label that disagrees with report.json is refused", report: withVerdict(report.VerdictFail),
			cm:         func(cm *corev1.ConfigMap) { cm.Labels[LabelVerdict] = "pass" },
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"label podcred.io/verdict"}},
		{name: "a verdict data key that disagrees with report.json is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Data[DataVerdict] = "fail" },
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"data verdict"}},
		{name: "a report.json edited to pass over failing checks is refused", report: withVerdict(report.VerdictFail),
			cm: func(cm *corev1.ConfigMap) {
				cm.Labels[LabelVerdict], cm.Data[DataVerdict] = "pass", "pass"
				cm.Data[DataReport] = strings.Replace(cm.Data[DataReport], `"verdict": "fail"`, `"verdict": "pass"`, 1)
			},
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"does not follow from its checks"}},
		{name: "a report.json whose checks were removed is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { tamperChecks(cm) },
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"no checks"}},
		{name: "a checked-at annotation that disagrees with report.json is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Annotations[AnnotationCheckedAt] = "2026-11-26T11:00:00Z" },
			wantReason: GateInconsistent, wantVerdict: report.VerdictError, wantInMsg: []string{"checked-at"}},

		{name: "a report older than an hour is stale and says how old", report: passing(), now: t0.Add(2*time.Hour + 5*time.Minute),
			wantReason: GateStale, wantVerdict: report.VerdictError, wantInMsg: []string{"2h5m0s old", "1h0m0s max age"}},
		{name: "a report past its expiry is refused", report: func() *report.Report {
			r := passing()
			exp := t0.Add(20 * time.Minute)
			r.ExpiresAt = &exp
			return r
		}(), now: t0.Add(30 * time.Minute),
			wantReason: GateExpired, wantVerdict: report.VerdictError, wantInMsg: []string{"expired at 2026-11-26T10:20:00Z", "10m0s ago"}},
		{name: "a stale failing report is reported as stale", report: withVerdict(report.VerdictFail), now: t0.Add(3 * time.Hour),
			wantReason: GateStale, wantVerdict: report.VerdictError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientset()
			if tt.report != nil {
				cm := reportConfigMap(t, tt.report)
				if tt.cm != nil {
					tt.cm(cm)
				}
				if err := c.Tracker().Add(cm); err != nil {
					t.Fatal(err)
				}
			}
			if tt.pod != nil {
				if err := c.Tracker().Add(tt.pod); err != nil {
					t.Fatal(err)
				}
			}
			now := tt.now
			if now.IsZero() {
				now = t0.Add(10 * time.Minute)
			}
			o := gateOptions(func() time.Time { return now })
			if tt.opts != nil {
				tt.opts(&o)
				if o.Now == nil {
					o.Now = func() time.Time { return now }
				}
			}
			r, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o)
			if tt.wantReason == "" {
				if err != nil || r == nil {
					t.Fatalf("Gate = %v, %v; want the report", r, err)
				}
				return
			}
			if r != nil {
				t.Errorf("Gate returned a report with a refusal")
			}
			var ge *GateError
			if !errors.As(err, &ge) {
				t.Fatalf("Gate = %v, want a *GateError", err)
			}
			if ge.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q (%v)", ge.Reason, tt.wantReason, err)
			}
			if got := ge.Verdict(); got != tt.wantVerdict {
				t.Errorf("refusal verdict = %s, want %s", got, tt.wantVerdict)
			}
			for _, want := range tt.wantInMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// gateOptions are the options of a gate for the test subject, with the
// agent's required and proof checks, at the clock now.
func gateOptions(now func() time.Time) GateOptions {
	var ids []string
	for _, c := range agentChecks() {
		ids = append(ids, c.ID)
	}
	return GateOptions{Namespace: testNS, ServiceAccount: testSA, MaxAge: DefaultMaxAge, Now: now,
		Required: ids, Proof: map[string][]string{
			"irsa":         {"env.role-arn", "env.token-file", "token.subject", "sts.assume-role", "sts.caller-identity", "chain.source"},
			"pod-identity": append(slices.Clone(podIdentityIDs), "chain.source"),
		}}
}

// allSkipped sets every agent check to skip.
func allSkipped() map[string]report.Status {
	m := map[string]report.Status{}
	for _, c := range agentChecks() {
		m[c.ID] = report.StatusSkip
	}
	return m
}

// rewriteReport edits cm's report.json with edit, keeping it consistent
// with the labels and data (what a forger who can write the ConfigMap does).
func rewriteReport(cm *corev1.ConfigMap, edit func(*report.Report)) {
	var r report.Report
	_ = json.Unmarshal([]byte(cm.Data[DataReport]), &r)
	edit(&r)
	b, _ := report.MarshalJSON(&r)
	cm.Data[DataReport] = string(b)
}

// reportPod is the report's pod, running as sa with the given UID.
func reportPod(sa, uid string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: testPod, Namespace: testNS, UID: types.UID(uid)},
		Spec:       corev1.PodSpec{ServiceAccountName: sa},
	}
}

// tamperChecks removes every check from cm's report.json.
func tamperChecks(cm *corev1.ConfigMap) {
	var r report.Report
	_ = json.Unmarshal([]byte(cm.Data[DataReport]), &r)
	r.Checks = nil
	b, _ := report.MarshalJSON(&r)
	cm.Data[DataReport] = string(b)
}

func TestGateAPIErrorsFailClosed(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(configMapsGR, "podcred-litmus-admin", errors.New("rbac says no"))
	})
	_, err := Gate(t.Context(), typedcore.New(c.CoreV1()), gateOptions(nil))
	var ge *GateError
	if !errors.As(err, &ge) || ge.Reason != GateAPIError || ge.Verdict() != report.VerdictError {
		t.Fatalf("Gate = %v, want an api-error refusal that verifies nothing", err)
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "rbac says no") {
		t.Errorf("the API error is not kept: %v", err)
	}
}

func TestGateRejectsUnusableOptions(t *testing.T) {
	tests := []struct {
		name string
		o    GateOptions
	}{
		{"no service account", func() GateOptions { o := gateOptions(nil); o.ServiceAccount = ""; return o }()},
		{"no namespace", func() GateOptions { o := gateOptions(nil); o.Namespace = ""; return o }()},
		{"a negative max age", func() GateOptions { o := gateOptions(nil); o.MaxAge = -time.Minute; return o }()},
		{"a zero max age", func() GateOptions { o := gateOptions(nil); o.MaxAge = 0; return o }()},
		{"no proof checks", func() GateOptions { o := gateOptions(nil); o.Proof = nil; return o }()},
		{"a mechanism without proof checks", func() GateOptions { o := gateOptions(nil); o.Proof["pod-identity"] = nil; return o }()},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is bad usage", func(t *testing.T) {
			c := fake.NewClientset()
			var oe *OptionsError
			if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), tt.o); !errors.As(err, &oe) {
				t.Errorf("Gate = %v, want an *OptionsError", err)
			}
			if len(c.Actions()) != 0 {
				t.Errorf("made API calls: %v", c.Actions())
			}
		})
	}
}

func TestGateReadsWhatTheSinkWrote(t *testing.T) {
	c := fake.NewClientset()
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), passing()); err != nil {
		t.Fatal(err)
	}
	o := gateOptions(func() time.Time { return t0.Add(time.Minute) })
	o.RoleArn = testRole
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); err != nil {
		t.Fatalf("Gate after a passing write = %v", err)
	}
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), withVerdict(report.VerdictFail)); err != nil {
		t.Fatal(err)
	}
	var ge *GateError
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); !errors.As(err, &ge) || ge.Verdict() != report.VerdictFail {
		t.Fatalf("Gate after a failing write = %v, want a fail refusal", err)
	}
}
