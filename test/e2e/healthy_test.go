package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// Scenario 1: the healthy Litmus set-up passes, and the verdict lands where
// an experiment gates on it — ConfigMap, pod annotations, Event.
func TestHealthyPodGetsItsOwnRoleAndPublishesPass(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	sc := scenario(t, "healthy")
	started := time.Now()
	r := verify(t, scenarioEnv(t, sc))
	wantOutcome(t, r, report.VerdictPass, cli.ExitPass, "", "")
	for _, c := range r.report.Checks {
		// An IRSA pod: the Pod Identity checks do not apply, cross-role has no --deny-role-arn.
		skippable := c.ID == "isolation.cross-role" || strings.HasPrefix(c.ID, "podidentity.")
		if c.Status != report.StatusPass && !(skippable && c.Status == report.StatusSkip) {
			t.Errorf("check %s is %s, want pass: %s", c.ID, c.Status, c.Message)
		}
	}
	account := sb(t).World().Account
	if id := r.report.Identity; id == nil || !strings.HasPrefix(id.Arn, "arn:aws:sts::"+account+":assumed-role/chaos-ec2/") {
		t.Errorf("identity %+v, want a session of role chaos-ec2", id)
	}
	if s := r.report.Subject; s.Namespace != sc.Namespace || s.ServiceAccount != sc.ServiceAccount || s.Pod != sc.Pod ||
		s.RoleArn != "arn:aws:iam::"+account+":role/chaos-ec2" {
		t.Errorf("subject %+v, want %s/%s pod %s with role chaos-ec2", s, sc.Namespace, sc.ServiceAccount, sc.Pod)
	}

	client := sb(t).ControlPlane().Client.CoreV1()
	ctx := t.Context()
	t.Run("a Litmus k8sProbe finds the pass ConfigMap by label selector", func(t *testing.T) {
		defer stopOnPanic()
		sel := "app.kubernetes.io/managed-by=podcred,podcred.io/service-account=" + sc.ServiceAccount + ",podcred.io/verdict=pass"
		list, err := client.ConfigMaps(sc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "podcred-"+sc.ServiceAccount {
			t.Fatalf("selector %s found %d ConfigMaps (%v), want podcred-%s", sel, len(list.Items), names(list.Items), sc.ServiceAccount)
		}
		cm := list.Items[0]
		var stored report.Report
		if err := json.Unmarshal([]byte(cm.Data["report.json"]), &stored); err != nil {
			t.Fatalf("report.json: %v", err)
		}
		if cm.Data["verdict"] != "pass" || !stored.FinishedAt.Equal(r.report.FinishedAt) || stored.Verdict != report.VerdictPass {
			t.Fatalf("ConfigMap verdict %q, report of %s (%s); want pass, the report printed at %s",
				cm.Data["verdict"], stored.FinishedAt, stored.Verdict, r.report.FinishedAt)
		}
		if at := cm.Annotations["podcred.io/checked-at"]; !sameInstant(at, r.report.FinishedAt) {
			t.Errorf("ConfigMap podcred.io/checked-at %q, want %s", at, r.report.FinishedAt)
		}
	})

	t.Run("the pod is annotated with the verdict", func(t *testing.T) {
		defer stopOnPanic()
		pod, err := client.Pods(sc.Namespace).Get(ctx, sc.Pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a := pod.Annotations
		if a["podcred.io/verdict"] != "pass" || !sameInstant(a["podcred.io/checked-at"], r.report.FinishedAt) {
			t.Fatalf("pod annotations verdict %q checked-at %q; want pass at %s", a["podcred.io/verdict"], a["podcred.io/checked-at"], r.report.FinishedAt)
		}
		var summary struct {
			Verdict   string `json:"verdict"`
			ConfigMap string `json:"configMap"`
		}
		if err := json.Unmarshal([]byte(a["podcred.io/report"]), &summary); err != nil || summary.Verdict != "pass" || summary.ConfigMap != "podcred-"+sc.ServiceAccount {
			t.Fatalf("podcred.io/report %q (%v): want a pass summary naming the ConfigMap", a["podcred.io/report"], err)
		}
	})

	t.Run("a CredentialCheckPassed Event is recorded on the pod", func(t *testing.T) {
		defer stopOnPanic()
		pod, err := client.Pods(sc.Namespace).Get(ctx, sc.Pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sel := fields.Set{"involvedObject.name": sc.Pod, "reason": "CredentialCheckPassed"}.String()
		events, err := client.Events(sc.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events.Items {
			if e.InvolvedObject.UID == pod.UID && e.Type == corev1.EventTypeNormal &&
				!e.FirstTimestamp.Time.Before(started.Truncate(time.Second)) && strings.Contains(e.Message, "pass") {
				return
			}
		}
		t.Fatalf("no Normal CredentialCheckPassed event on pod %s (uid %s) since %s among %d", sc.Pod, pod.UID, started.Format(time.RFC3339), len(events.Items))
	})
}

// sameInstant reports whether an RFC 3339 annotation names instant t (to the second).
func sameInstant(value string, t time.Time) bool {
	at, err := time.Parse(time.RFC3339, value)
	return err == nil && at.Unix() == t.Unix()
}

// names lists the ConfigMaps' names.
func names(cms []corev1.ConfigMap) []string {
	out := make([]string, 0, len(cms))
	for _, cm := range cms {
		out = append(out, cm.Name)
	}
	return out
}
