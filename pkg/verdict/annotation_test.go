package verdict

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/verdict/typedcore"

	"github.com/podcred/podcred/pkg/report"
)

// testPodObject is the checked pod, with an annotation of its own.
func testPodObject() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: testPod, Namespace: testNS, UID: "0b6f1c6e-7d2a-4c55-9f57-2a3b4c5d6e7f",
		Annotations: map[string]string{"litmuschaos.io/chaos": "pod-delete"},
	}}
}

func TestAnnotationSinkPatchesThePod(t *testing.T) {
	tests := []struct {
		name        string
		verdict     report.Verdict
		opts        []Option
		wantFailing []string
		wantCM      string
	}{
		{"a pass names the role, identity and configmap", report.VerdictPass, nil, nil, "podcred-" + testSA},
		{"a fail lists the failing checks", report.VerdictFail, nil, []string{"token.audience", "sts.assume-role"}, "podcred-" + testSA},
		{"without the configmap sink no configmap is named", report.VerdictPass, []Option{WithoutConfigMapLink()}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientset(testPodObject())
			r := withVerdict(tt.verdict)
			if err := NewAnnotationSink(typedcore.New(c.CoreV1()), tt.opts...).Write(t.Context(), r); err != nil {
				t.Fatalf("Write: %v", err)
			}
			var patch k8stesting.PatchAction
			for _, a := range c.Actions() {
				if p, ok := a.(k8stesting.PatchAction); ok {
					patch = p
				}
			}
			if patch == nil || patch.GetPatchType() != types.MergePatchType || len(c.Actions()) != 1 {
				t.Fatalf("want exactly one merge patch, got %v", c.Actions())
			}
			pod, err := c.CoreV1().Pods(testNS).Get(t.Context(), testPod, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			summary := pod.Annotations[AnnotationReport]
			wantAnn := map[string]string{
				"litmuschaos.io/chaos":  "pod-delete",
				"podcred.io/verdict":    string(tt.verdict),
				"podcred.io/checked-at": "2026-11-26T10:00:00Z",
				"podcred.io/report":     summary,
			}
			if !maps.Equal(pod.Annotations, wantAnn) {
				t.Errorf("annotations = %v, want %v", pod.Annotations, wantAnn)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(summary), &got); err != nil {
				t.Fatalf("summary is not JSON: %v", err)
			}
			want := map[string]any{"verdict": string(tt.verdict), "roleArn": testRole, "identityArn": r.Identity.Arn}
			if tt.wantCM != "" {
				want["configMap"] = tt.wantCM
			}
			if tt.wantFailing != nil {
				ids := []any{}
				for _, id := range tt.wantFailing {
					ids = append(ids, id)
				}
				want["failing"] = ids
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("summary = %v, want %v", got, want)
			}
		})
	}
}

func TestPodSummaryStaysUnderTheLimit(t *testing.T) {
	r := passing()
	r.Checks = nil
	for i := range 300 {
		r.Checks = append(r.Checks, report.Check{ID: fmt.Sprintf("generated.check-number-%03d", i), Status: report.StatusFail})
	}
	r.Finish(t0)
	b, err := marshalSummary(Summarize(r, ConfigMapName(testSA)))
	if err != nil {
		t.Fatalf("marshalSummary: %v", err)
	}
	var s PodSummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxSummaryBytes || !s.Truncated || len(s.Failing) == 0 || s.RoleArn != testRole {
		t.Errorf("summary %d bytes, truncated %v, %d failing, role %q", len(b), s.Truncated, len(s.Failing), s.RoleArn)
	}
}

func TestAnnotationSinkNeedsThePod(t *testing.T) {
	r := passing()
	r.Subject.Pod = ""
	if err := NewAnnotationSink(typedcore.New(fake.NewClientset().CoreV1())).Write(t.Context(), r); err == nil || !strings.Contains(err.Error(), "no pod") {
		t.Errorf("Write without pod = %v, want an error", err)
	}
	err := NewAnnotationSink(typedcore.New(fake.NewClientset().CoreV1())).Write(t.Context(), passing())
	if err == nil || !strings.Contains(err.Error(), "annotate pod "+testNS+"/"+testPod) {
		t.Errorf("Write on a missing pod = %v, want a wrapped not-found", err)
	}
}
