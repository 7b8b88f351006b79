package verdict

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/podcred/podcred/pkg/verdict/typedcore"

	"github.com/podcred/podcred/pkg/report"
)

func TestEventSinkRecordsTheVerdict(t *testing.T) {
	tests := []struct {
		name       string
		verdict    report.Verdict
		wantReason string
		wantType   string
		wantInMsg  []string
	}{
		{"a pass is a Normal CredentialCheckPassed", report.VerdictPass, "CredentialCheckPassed", "Normal", []string{"verdict pass", testRole}},
		{"a warn is a Normal CredentialCheckPassed naming the warnings", report.VerdictWarn, "CredentialCheckPassed", "Normal", []string{"verdict warn", "warnings: creds.shared-file"}},
		{"a fail is a Warning CredentialCheckFailed naming the failing checks", report.VerdictFail, "CredentialCheckFailed", "Warning", []string{"verdict fail", "failing checks: token.audience, sts.assume-role"}},
		{"an error is a Warning CredentialCheckFailed", report.VerdictError, "CredentialCheckFailed", "Warning", []string{"verdict error", "failing checks: isolation.imds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientset()
			now := t0.Add(3 * time.Second)
			r := withVerdict(tt.verdict)
			if err := NewEventSink(typedcore.New(c.CoreV1()), WithClock(func() time.Time { return now })).Write(t.Context(), r); err != nil {
				t.Fatalf("Write: %v", err)
			}
			list, err := c.CoreV1().Events(testNS).List(t.Context(), metav1.ListOptions{})
			if err != nil || len(list.Items) != 1 {
				t.Fatalf("events: %v, %v", list, err)
			}
			ev := list.Items[0]
			if ev.Reason != tt.wantReason || ev.Type != tt.wantType {
				t.Errorf("reason %q type %q, want %q %q", ev.Reason, ev.Type, tt.wantReason, tt.wantType)
			}
			for _, want := range tt.wantInMsg {
				if !strings.Contains(ev.Message, want) {
					t.Errorf("message %q lacks %q", ev.Message, want)
				}
			}
			wantObj := corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Name: testPod, Namespace: testNS, UID: "0b6f1c6e-7d2a-4c55-9f57-2a3b4c5d6e7f"}
			if ev.InvolvedObject != wantObj {
				t.Errorf("involvedObject = %+v, want %+v", ev.InvolvedObject, wantObj)
			}
			if ev.Source.Component != "podcred-agent" || ev.Count != 1 || !ev.FirstTimestamp.Time.Equal(now) || !ev.LastTimestamp.Time.Equal(now) {
				t.Errorf("source %+v count %d first %s last %s", ev.Source, ev.Count, ev.FirstTimestamp, ev.LastTimestamp)
			}
			if want := fmt.Sprintf("%s.%x", testPod, now.UnixNano()); ev.Name != want {
				t.Errorf("name = %q, want pod name, a dot and a hex timestamp", ev.Name)
			}
		})
	}
}

func TestEventNamesAreUniqueAndValid(t *testing.T) {
	longPod := strings.Repeat("p", 253)
	r := passing()
	r.Subject.Pod = longPod
	a := buildEvent(r, metav1.NewTime(t0))
	b := buildEvent(r, metav1.NewTime(t0.Add(time.Nanosecond)))
	if a.Name == b.Name {
		t.Errorf("two events a nanosecond apart share the name %q", a.Name)
	}
	for _, name := range []string{a.Name, b.Name} {
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("event name %q is invalid: %v", name, errs)
		}
	}
	if a.InvolvedObject.Name != longPod {
		t.Errorf("involvedObject name was shortened: %q", a.InvolvedObject.Name)
	}
}

func TestEventMessageIsBounded(t *testing.T) {
	r := passing()
	for i := range 200 {
		r.Checks = append(r.Checks, report.Check{ID: strings.Repeat("x", 20) + string(rune('a'+i%26)), Status: report.StatusFail})
	}
	r.Finish(t0)
	if msg := eventMessage(r); len(msg) > maxEventMessage {
		t.Errorf("message is %d bytes, want at most %d", len(msg), maxEventMessage)
	}
}
