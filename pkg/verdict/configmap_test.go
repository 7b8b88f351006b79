package verdict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/verdict/typedcore"

	"github.com/podcred/podcred/pkg/report"
)

var configMapsGR = schema.GroupResource{Resource: "configmaps"}

// getConfigMap reads the report ConfigMap of the test SA.
func getConfigMap(t *testing.T, c *fake.Clientset, sa string) *corev1.ConfigMap {
	t.Helper()
	cm, err := c.CoreV1().ConfigMaps(testNS).Get(t.Context(), ConfigMapName(sa), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get configmap: %v", err)
	}
	return cm
}

// countVerb counts the recorded actions with verb on configmaps.
func countVerb(c *fake.Clientset, verb string) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == "configmaps" {
			n++
		}
	}
	return n
}

func TestConfigMapSinkWritesExactlyTheContract(t *testing.T) {
	tests := []struct {
		name   string
		report func() *report.Report
	}{
		{"a passing report", passing},
		{"a failing report", func() *report.Report { return withVerdict(report.VerdictFail) }},
		{"a report without role or expiry", func() *report.Report {
			r := passing()
			r.Subject.RoleArn, r.ExpiresAt = "", nil
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is created with exactly the labels, annotations and data of DESIGN.md", func(t *testing.T) {
			c := fake.NewClientset()
			r := tt.report()
			if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), r); err != nil {
				t.Fatalf("Write: %v", err)
			}
			cm := getConfigMap(t, c, testSA)
			wantLabels := map[string]string{
				"app.kubernetes.io/managed-by": "podcred",
				"podcred.io/service-account":   testSA,
				"podcred.io/verdict":           string(r.Verdict),
			}
			if !maps.Equal(cm.Labels, wantLabels) {
				t.Errorf("labels = %v, want %v", cm.Labels, wantLabels)
			}
			wantAnn := map[string]string{"podcred.io/checked-at": "2026-11-26T10:00:00Z"}
			if r.ExpiresAt != nil {
				wantAnn["podcred.io/expires-at"] = "2026-11-26T11:00:00Z"
			}
			if r.Subject.RoleArn != "" {
				wantAnn["podcred.io/role-arn"] = testRole
			}
			if !maps.Equal(cm.Annotations, wantAnn) {
				t.Errorf("annotations = %v, want %v", cm.Annotations, wantAnn)
			}
			assertOnlyTheReport(t, cm, r)
			if cm.Name != "podcred-"+testSA || cm.Namespace != testNS {
				t.Errorf("configmap is %s/%s", cm.Namespace, cm.Name)
			}
		})
	}
}

// assertOnlyTheReport checks that cm's data is the JSON of r and its verdict,
// and nothing else: no extra keys, no extra fields.
func assertOnlyTheReport(t *testing.T, cm *corev1.ConfigMap, r *report.Report) {
	t.Helper()
	if len(cm.BinaryData) != 0 {
		t.Errorf("binaryData = %v, want none", cm.BinaryData)
	}
	keys := []string{}
	for k := range cm.Data {
		keys = append(keys, k)
	}
	if len(keys) != 2 || cm.Data[DataVerdict] != string(r.Verdict) {
		t.Errorf("data keys = %v, verdict %q; want report.json and verdict=%s", keys, cm.Data[DataVerdict], r.Verdict)
	}
	want, err := report.MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[DataReport] != string(want) {
		t.Errorf("report.json is not the report's JSON:\n%s", cm.Data[DataReport])
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(cm.Data[DataReport])))
	dec.DisallowUnknownFields()
	var got report.Report
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("report.json holds more than a Report: %v", err)
	}
	if !reflect.DeepEqual(&got, r) {
		t.Errorf("report.json decodes to %+v, want %+v", got, *r)
	}
}

func TestConfigMapSinkUpdatesAnExistingReport(t *testing.T) {
	c := fake.NewClientset()
	sink := NewConfigMapSink(typedcore.New(c.CoreV1()))
	if err := sink.Write(t.Context(), passing()); err != nil {
		t.Fatalf("first write: %v", err)
	}
	// Someone else adds their own label and annotation; they must survive.
	cm := getConfigMap(t, c, testSA)
	cm.Labels["team"] = "chaos"
	cm.Annotations["note"] = "keep me"
	cm.Data["stray"] = "drop me"
	if _, err := c.CoreV1().ConfigMaps(testNS).Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	failed := withVerdict(report.VerdictFail)
	failed.ExpiresAt = nil
	if err := sink.Write(t.Context(), failed); err != nil {
		t.Fatalf("second write: %v", err)
	}
	cm = getConfigMap(t, c, testSA)
	if cm.Labels[LabelVerdict] != "fail" || cm.Data[DataVerdict] != "fail" {
		t.Errorf("verdict label %q data %q, want fail", cm.Labels[LabelVerdict], cm.Data[DataVerdict])
	}
	if cm.Labels["team"] != "chaos" || cm.Annotations["note"] != "keep me" {
		t.Errorf("foreign label/annotation lost: %v %v", cm.Labels, cm.Annotations)
	}
	if _, ok := cm.Annotations[AnnotationExpiresAt]; ok {
		t.Errorf("stale expires-at annotation kept: %v", cm.Annotations)
	}
	assertOnlyTheReport(t, cm, failed)
	if n := countVerb(c, "create"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}

func TestConfigMapSinkRetriesOnConflict(t *testing.T) {
	c := fake.NewClientset()
	sink := NewConfigMapSink(typedcore.New(c.CoreV1()))
	if err := sink.Write(t.Context(), passing()); err != nil {
		t.Fatal(err)
	}
	conflicts := 0
	c.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			conflicts++
			return true, nil, apierrors.NewConflict(configMapsGR, ConfigMapName(testSA), errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	c.ClearActions()
	if err := sink.Write(t.Context(), withVerdict(report.VerdictFail)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if conflicts != 1 || countVerb(c, "update") != 2 || countVerb(c, "get") != 2 {
		t.Errorf("conflicts %d, updates %d, gets %d; want 1, 2, 2 (re-read after the conflict)",
			conflicts, countVerb(c, "update"), countVerb(c, "get"))
	}
	if got := getConfigMap(t, c, testSA).Labels[LabelVerdict]; got != "fail" {
		t.Errorf("verdict label = %q after retry, want fail", got)
	}
}

func TestConfigMapSinkUpdatesWhenCreateRacesAnotherWriter(t *testing.T) {
	c := fake.NewClientset()
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), passing()); err != nil {
		t.Fatal(err)
	}
	// The first read misses the ConfigMap, as if it were created right after.
	missed := false
	c.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !missed {
			missed = true
			return true, nil, apierrors.NewNotFound(configMapsGR, ConfigMapName(testSA))
		}
		return false, nil, nil
	})
	c.ClearActions()
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), withVerdict(report.VerdictFail)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if countVerb(c, "create") != 1 || countVerb(c, "update") != 1 {
		t.Errorf("creates %d, updates %d; want 1 refused create then 1 update", countVerb(c, "create"), countVerb(c, "update"))
	}
	if got := getConfigMap(t, c, testSA).Labels[LabelVerdict]; got != "fail" {
		t.Errorf("verdict label = %q, want fail", got)
	}
}

func TestConfigMapSinkRefusesAForeignConfigMap(t *testing.T) {
	foreign := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName(testSA), Namespace: testNS},
		Data:       map[string]string{"app.conf": "mine"},
	}
	c := fake.NewClientset(foreign)
	err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), passing())
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("Write = %v, want a refusal", err)
	}
	if got := getConfigMap(t, c, testSA).Data["app.conf"]; got != "mine" {
		t.Errorf("foreign configmap changed: %v", got)
	}
}

func TestConfigMapSinkHandlesALongServiceAccountName(t *testing.T) {
	sa := strings.Repeat("s", 100) + "." + strings.Repeat("t", 152) // 253 characters
	r := passing()
	r.Subject.ServiceAccount = sa
	c := fake.NewClientset()
	if err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	cm := getConfigMap(t, c, sa)
	if len(cm.Name) > 253 || len(cm.Labels[LabelServiceAccount]) > 63 {
		t.Errorf("name %d chars, label %d chars", len(cm.Name), len(cm.Labels[LabelServiceAccount]))
	}
	if cm.Labels[LabelServiceAccount] != LabelValue(sa) {
		t.Errorf("label = %q, want LabelValue(sa)", cm.Labels[LabelServiceAccount])
	}
	o := gateOptions(func() time.Time { return t0 })
	o.ServiceAccount = sa
	got, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o)
	if err != nil || got.Subject.ServiceAccount != sa {
		t.Errorf("Gate on the long name = %v, %v", got, err)
	}
}

func TestConfigMapSinkRejectsUnpublishableReports(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*report.Report)
		want   string
	}{
		{"an unfinished report has no verdict", func(r *report.Report) { r.Verdict = "" }, "verdict"},
		{"a report without namespace", func(r *report.Report) { r.Subject.Namespace = "" }, "namespace"},
		{"a report without service account", func(r *report.Report) { r.Subject.ServiceAccount = "" }, "service account"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := passing()
			tt.mutate(r)
			c := fake.NewClientset()
			err := NewConfigMapSink(typedcore.New(c.CoreV1())).Write(t.Context(), r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write = %v, want an error about %s", err, tt.want)
			}
			if len(c.Actions()) != 0 {
				t.Errorf("made API calls: %v", c.Actions())
			}
		})
	}
	if err := NewConfigMapSink(typedcore.New(fake.NewClientset().CoreV1())).Write(t.Context(), nil); err == nil {
		t.Error("Write(nil) succeeded")
	}
}

func TestMarkPendingClearsTheOldVerdictUntilTheNextWrite(t *testing.T) {
	c := fake.NewClientset()
	sink := NewConfigMapSink(typedcore.New(c.CoreV1()))
	if err := sink.Write(t.Context(), passing()); err != nil {
		t.Fatal(err)
	}
	subj := report.Subject{Namespace: testNS, ServiceAccount: testSA}
	if err := sink.MarkPending(t.Context(), subj, t0.Add(time.Minute)); err != nil {
		t.Fatalf("MarkPending: %v", err)
	}
	cm := getConfigMap(t, c, testSA)
	if cm.Labels[LabelVerdict] != PendingVerdict || cm.Data[DataVerdict] != PendingVerdict {
		t.Errorf("after MarkPending: label %q, data %q; want %q", cm.Labels[LabelVerdict], cm.Data[DataVerdict], PendingVerdict)
	}
	if _, ok := cm.Data[DataReport]; ok {
		t.Errorf("the old report.json is still there")
	}
	if _, ok := cm.Annotations[AnnotationCheckedAt]; ok || cm.Annotations[AnnotationStartedAt] != "2026-11-26T10:01:00Z" {
		t.Errorf("annotations after MarkPending: %v", cm.Annotations)
	}
	o := gateOptions(func() time.Time { return t0.Add(2 * time.Minute) })
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); !strings.Contains(fmt.Sprint(err), "has not published") {
		t.Errorf("Gate while pending = %v, want a pending refusal", err)
	}

	next := passing()
	next.Finish(t0.Add(time.Minute))
	if err := sink.Write(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	if _, ok := getConfigMap(t, c, testSA).Annotations[AnnotationStartedAt]; ok {
		t.Errorf("the written report keeps the pending annotation")
	}
	if _, err := Gate(t.Context(), typedcore.New(c.CoreV1()), o); err != nil {
		t.Errorf("Gate after the next write = %v", err)
	}
}

func TestMarkPendingCreatesNothingAndTouchesNoForeignConfigMap(t *testing.T) {
	c := fake.NewClientset()
	sink := NewConfigMapSink(typedcore.New(c.CoreV1()))
	subj := report.Subject{Namespace: testNS, ServiceAccount: testSA}
	if err := sink.MarkPending(t.Context(), subj, t0); err != nil {
		t.Fatalf("MarkPending without a ConfigMap: %v", err)
	}
	if _, err := c.CoreV1().ConfigMaps(testNS).Get(t.Context(), ConfigMapName(testSA), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("MarkPending created a ConfigMap (%v)", err)
	}
	foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName(testSA), Namespace: testNS}, Data: map[string]string{"k": "v"}}
	if _, err := c.CoreV1().ConfigMaps(testNS).Create(t.Context(), foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := sink.MarkPending(t.Context(), subj, t0); err == nil || !strings.Contains(err.Error(), "not labelled") {
		t.Errorf("MarkPending on a foreign ConfigMap = %v, want a refusal", err)
	}
	if got := getConfigMap(t, c, testSA); got.Data["k"] != "v" || len(got.Labels) != 0 {
		t.Errorf("the foreign ConfigMap was changed: %+v", got)
	}
}
