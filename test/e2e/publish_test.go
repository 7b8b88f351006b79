package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/podcred/podcred/pkg/report"
)

// wantPublished asserts that run r published its report to the apiserver:
// ConfigMap podcred-<sa> holding it with the verdict label, the verdict on
// the pod's annotations, and an Event on the pod (CredentialCheckPassed for
// pass and warn, CredentialCheckFailed naming the failing checks otherwise).
func wantPublished(t *testing.T, r *agentRun) {
	t.Helper()
	client := sb(t).ControlPlane().Client.CoreV1()
	ctx := t.Context()
	s, verdict := r.report.Subject, string(r.report.Verdict)

	cm, err := client.ConfigMaps(s.Namespace).Get(ctx, "podcred-"+s.ServiceAccount, metav1.GetOptions{})
	if err != nil {
		t.Errorf("ConfigMap podcred-%s: %v", s.ServiceAccount, err)
	} else {
		var stored report.Report
		_ = json.Unmarshal([]byte(cm.Data["report.json"]), &stored)
		if cm.Labels["podcred.io/verdict"] != verdict || cm.Data["verdict"] != verdict || !stored.FinishedAt.Equal(r.report.FinishedAt) {
			t.Errorf("ConfigMap podcred-%s: label %q, data %q, report of %s; want %s and the report of %s",
				s.ServiceAccount, cm.Labels["podcred.io/verdict"], cm.Data["verdict"], stored.FinishedAt, verdict, r.report.FinishedAt)
		}
	}

	pod, err := client.Pods(s.Namespace).Get(ctx, s.Pod, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("pod %s/%s: %v", s.Namespace, s.Pod, err)
	}
	if got := pod.Annotations["podcred.io/verdict"]; got != verdict {
		t.Errorf("pod %s annotation podcred.io/verdict=%q, want %s", s.Pod, got, verdict)
	}

	reason, mention := "CredentialCheckPassed", []string{"verdict " + verdict}
	if ids := r.report.FailingIDs(); len(ids) > 0 {
		reason, mention = "CredentialCheckFailed", append(mention, ids...)
	}
	sel := fields.Set{"involvedObject.name": s.Pod, "reason": reason}.String()
	events, err := client.Events(s.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.InvolvedObject.UID == pod.UID && !e.FirstTimestamp.Time.Before(r.started.Truncate(time.Second)) && containsAll(e.Message, mention) {
			return
		}
	}
	t.Errorf("no %s Event on pod %s since %s saying %q", reason, s.Pod, r.started.Format(time.RFC3339), mention)
}

// containsAll reports whether s contains every one of parts.
func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
