package report

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/report/typedcore"
)

// reportConfigMap returns the ConfigMap the sink would write for r.
func reportConfigMap(t *testing.T, r *Report) *corev1.ConfigMap {
	t.Helper()
	cm, err := desiredConfigMap(r)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func TestGate(t *testing.T) {
	tests := []struct {
		name       string
		report     *Report                 // what the agent wrote; nil for no ConfigMap
		cm         func(*corev1.ConfigMap) // changes made to it afterwards
		opts       func(*GateOptions)
		now        time.Time // zero means t0 + 10 minutes
		wantReason string    // "" means the gate opens
		wantCode   int
		wantInMsg  []string
	}{
		{name: "a fresh passing report opens the gate", report: passing()},
		{name: "a passing report for the expected role opens the gate", report: passing(),
			opts: func(o *GateOptions) { o.RoleArn = testRole }},
		{name: "a warning opens the gate when warnings are allowed", report: withVerdict(VerdictWarn),
			opts: func(o *GateOptions) { o.AllowWarn = true }},
		{name: "a two-hour-old report without expiry opens a gate whose max age is three hours",
			report: func() *Report { r := passing(); r.ExpiresAt = nil; return r }(),
			now:    t0.Add(2 * time.Hour), opts: func(o *GateOptions) { o.MaxAge = 3 * time.Hour; o.Now = nil }},
		{name: "a report under a custom configmap name is found", report: passing(),
			cm: func(cm *corev1.ConfigMap) { cm.Name = "custom" }, opts: func(o *GateOptions) { o.ConfigMap = "custom" }},

		{name: "a warning closes the gate when warnings are not allowed", report: withVerdict(VerdictWarn),
			wantReason: GateWarned, wantCode: ExitWarnStrict, wantInMsg: []string{"verdict warn", "creds.shared-file"}},
		{name: "a failing report closes the gate and lists the failing checks", report: withVerdict(VerdictFail),
			wantReason: GateFailed, wantCode: ExitFail, wantInMsg: []string{"verdict fail", "token.audience, sts.assume-role"}},
		{name: "a failing report closes the gate even when warnings are allowed", report: withVerdict(VerdictFail),
			opts: func(o *GateOptions) { o.AllowWarn = true }, wantReason: GateFailed, wantCode: ExitFail},
		{name: "an error verdict closes the gate as unverified", report: withVerdict(VerdictError),
			wantReason: GateErrored, wantCode: ExitUnverified, wantInMsg: []string{"verdict error", "isolation.imds"}},

		{name: "a missing configmap says to run the agent", report: nil,
			wantReason: GateNotFound, wantCode: ExitUnverified, wantInMsg: []string{"litmus/podcred-litmus-admin", "not found", "run podcred-agent"}},
		{name: "a configmap not labelled as podcred's is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { delete(cm.Labels, LabelManagedBy) },
			wantReason: GateNotManaged, wantCode: ExitUnverified, wantInMsg: []string{"app.kubernetes.io/managed-by=podcred"}},
		{name: "a configmap without report.json is unreadable", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { delete(cm.Data, DataReport) },
			wantReason: GateUnreadable, wantCode: ExitUnverified, wantInMsg: []string{"has no report.json"}},
		{name: "a report.json that is not JSON is unreadable", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Data[DataReport] = `{"verdict":"pass"` },
			wantReason: GateUnreadable, wantCode: ExitUnverified, wantInMsg: []string{"not a readable report"}},
		{name: "an unknown schema version is refused", report: passing(),
			cm: func(cm *corev1.ConfigMap) {
				cm.Data[DataReport] = strings.Replace(cm.Data[DataReport], "podcred.io/v1", "podcred.io/v2", 1)
			},
			wantReason: GateSchema, wantCode: ExitUnverified, wantInMsg: []string{`"podcred.io/v2"`}},
		{name: "a preflight report is not an agent report", report: func() *Report { r := passing(); r.Kind = KindPreflight; return r }(),
			wantReason: GateKind, wantCode: ExitUnverified, wantInMsg: []string{"PreflightReport"}},
		{name: "a report for another service account is refused", report: passing(),
			opts:       func(o *GateOptions) { o.ServiceAccount = "other"; o.ConfigMap = ConfigMapName(testSA) },
			wantReason: GateSubject, wantCode: ExitUnverified, wantInMsg: []string{"litmus/litmus-admin, not litmus/other"}},
		{name: "a report for another namespace is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Namespace = "default" },
			opts:       func(o *GateOptions) { o.Namespace = "default" },
			wantReason: GateSubject, wantCode: ExitUnverified, wantInMsg: []string{"not default/litmus-admin"}},
		{name: "a report for another role is refused", report: passing(),
			opts:       func(o *GateOptions) { o.RoleArn = "arn:aws:iam::111122223333:role/other" },
			wantReason: GateRole, wantCode: ExitUnverified, wantInMsg: []string{"role/other"}},

		{name: "a verdict label that disagrees with report.json is refused", report: withVerdict(VerdictFail),
			cm:         func(cm *corev1.ConfigMap) { cm.Labels[LabelVerdict] = "pass" },
			wantReason: GateInconsistent, wantCode: ExitUnverified, wantInMsg: []string{"label podcred.io/verdict"}},
		{name: "a verdict data key that disagrees with report.json is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Data[DataVerdict] = "fail" },
			wantReason: GateInconsistent, wantCode: ExitUnverified, wantInMsg: []string{"data verdict"}},
		{name: "a report.json edited to pass over failing checks is refused", report: withVerdict(VerdictFail),
			cm: func(cm *corev1.ConfigMap) {
				cm.Labels[LabelVerdict], cm.Data[DataVerdict] = "pass", "pass"
				cm.Data[DataReport] = strings.Replace(cm.Data[DataReport], `"verdict": "fail"`, `"verdict": "pass"`, 1)
			},
			wantReason: GateInconsistent, wantCode: ExitUnverified, wantInMsg: []string{"does not follow from its checks"}},
		{name: "a report.json whose checks were removed is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { tamperChecks(cm) },
			wantReason: GateInconsistent, wantCode: ExitUnverified, wantInMsg: []string{"no checks"}},
		{name: "a checked-at annotation that disagrees with report.json is refused", report: passing(),
			cm:         func(cm *corev1.ConfigMap) { cm.Annotations[AnnotationCheckedAt] = "2026-11-26T11:00:00Z" },
			wantReason: GateInconsistent, wantCode: ExitUnverified, wantInMsg: []string{"checked-at"}},

		{name: "a report older than an hour is stale and says how old", report: passing(), now: t0.Add(2*time.Hour + 5*time.Minute),
			wantReason: GateStale, wantCode: ExitUnverified, wantInMsg: []string{"2h5m0s old", "1h0m0s max age"}},
		{name: "a report past its expiry is refused", report: func() *Report {
			r := passing()
			exp := t0.Add(20 * time.Minute)
			r.ExpiresAt = &exp
			return r
		}(), now: t0.Add(30 * time.Minute),
			wantReason: GateExpired, wantCode: ExitUnverified, wantInMsg: []string{"expired at 2026-11-26T10:20:00Z", "10m0s ago"}},
		{name: "a stale failing report is reported as stale", report: withVerdict(VerdictFail), now: t0.Add(3 * time.Hour),
			wantReason: GateStale, wantCode: ExitUnverified},
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
			now := tt.now
			if now.IsZero() {
				now = t0.Add(10 * time.Minute)
			}
			o := GateOptions{Namespace: testNS, ServiceAccount: testSA, Now: func() time.Time { return now }}
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
			if got := CodeOf(err); got != tt.wantCode || ge.ExitCode() != tt.wantCode {
				t.Errorf("exit code = %d / %d, want %d", got, ge.ExitCode(), tt.wantCode)
			}
			for _, want := range tt.wantInMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// tamperChecks removes every check from cm's report.json.
func tamperChecks(cm *corev1.ConfigMap) {
	var r Report
	_ = json.Unmarshal([]byte(cm.Data[DataReport]), &r)
	r.Checks = nil
	b, _ := MarshalJSON(&r)
	cm.Data[DataReport] = string(b)
}

func TestGateAPIErrorsFailClosed(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(configMapsGR, "podcred-litmus-admin", errors.New("rbac says no"))
	})
	_, err := Gate(t.Context(), typedcore.New(c.CoreV1()), GateOptions{Namespace: testNS, ServiceAccount: testSA})
	var ge *GateError
	if !errors.As(err, &ge) || ge.Reason != GateAPIError || CodeOf(err) != ExitUnverified {
		t.Fatalf("Gate = %v, want an api-error refusal exiting 1", err)
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
		{"no service account", GateOptions{Namespace: testNS}},
		{"no namespace", GateOptions{ServiceAccount: testSA}},
		{"a negative max age", GateOptions{Namespace: testNS, ServiceAccount: testSA, MaxAge: -time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is bad usage", func(t *testing.T) {
			c := fake.NewClientset()
			if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), tt.o); CodeOf(err) != ExitUsage {
				t.Errorf("Gate = %v (exit %d), want exit %d", err, CodeOf(err), ExitUsage)
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
	o := GateOptions{Namespace: testNS, ServiceAccount: testSA, RoleArn: testRole, Now: func() time.Time { return t0.Add(time.Minute) }}
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); err != nil {
		t.Fatalf("Gate after a passing write = %v", err)
	}
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), withVerdict(VerdictFail)); err != nil {
		t.Fatal(err)
	}
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); CodeOf(err) != ExitFail {
		t.Fatalf("Gate after a failing write = %v, want exit 3", err)
	}
}
