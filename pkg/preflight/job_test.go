package preflight

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/internal/agenttest"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
	"github.com/podcred/podcred/pkg/verdict/typedcore"
)

// TestVerificationJobMatchesDeployJobYAML keeps the Job built in Go and the
// canonical manifest deploy/job.yaml in sync.
func TestVerificationJobMatchesDeployJobYAML(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want *batchv1.Job
	for _, doc := range bytes.Split(raw, []byte("\n---")) {
		if !bytes.Contains(doc, []byte("\nkind: Job")) {
			continue
		}
		want = &batchv1.Job{}
		if err := yaml.UnmarshalStrict(doc, want); err != nil {
			t.Fatal(err)
		}
	}
	if want == nil {
		t.Fatal("deploy/job.yaml has no Job")
	}
	got := VerificationJob("litmus", "litmus-admin", "ghcr.io/podcred/podcred-agent:latest")
	if got.Name != want.Name || got.Namespace != want.Namespace || !equality.Semantic.DeepEqual(got.Labels, want.Labels) {
		t.Errorf("metadata %s/%s %v, want %s/%s %v", got.Namespace, got.Name, got.Labels, want.Namespace, want.Name, want.Labels)
	}
	if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		g, _ := yaml.Marshal(got.Spec)
		w, _ := yaml.Marshal(want.Spec)
		t.Errorf("Job spec differs from deploy/job.yaml:\n--- go\n%s\n--- yaml\n%s", g, w)
	}
	if long := VerificationJob("ns", strings.Repeat("s", 200), ""); len(long.Name) > 63 || long.Spec.Template.Spec.Containers[0].Image != DefaultAgentImage {
		t.Errorf("long SA: name %q (%d), image %q", long.Name, len(long.Name), long.Spec.Template.Spec.Containers[0].Image)
	}
}

// publishingRunner plays the Job's pod: it writes the agent's report to the
// ConfigMap, as the agent's configmap sink does.
type publishingRunner struct {
	verdict report.Verdict
	ran     chan *batchv1.Job
}

func (p publishingRunner) RunJob(ctx context.Context, c kubernetes.Interface, job *batchv1.Job) error {
	p.ran <- job
	if p.verdict == "" {
		return nil
	}
	status := report.StatusPass
	if p.verdict == report.VerdictFail {
		status = report.StatusFail
	}
	r := &report.Report{SchemaVersion: report.SchemaVersion, Kind: report.KindAgent, Tool: report.Tool{Name: "podcred-agent"},
		Subject:   report.Subject{Namespace: job.Namespace, ServiceAccount: job.Spec.Template.Spec.ServiceAccountName, RoleArn: pfRole},
		StartedAt: time.Now(), Checks: agenttest.AgentChecks(status)}
	r.Finish(time.Now())
	return verdict.NewConfigMapSink(typedcore.New(c.CoreV1())).Write(ctx, r)
}

func TestRunVerificationJobReadsTheAgentsVerdictAndCleansUp(t *testing.T) {
	for _, v := range []report.Verdict{report.VerdictPass, report.VerdictFail} {
		t.Run(string(v), func(t *testing.T) {
			c := fake.NewClientset()
			// A leftover Job of the same name is replaced.
			if _, err := c.BatchV1().Jobs("litmus").Create(context.Background(), VerificationJob("litmus", "litmus-admin", "old"), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			run := publishingRunner{verdict: v, ran: make(chan *batchv1.Job, 1)}
			var notes []string
			jf := RunVerificationJob(context.Background(), c, JobOptions{Namespace: "litmus", ServiceAccount: "litmus-admin", Image: "reg/agent:1",
				Runner: run, Poll: 10 * time.Millisecond, Timeout: 5 * time.Second, Progress: func(s string) { notes = append(notes, s) }})
			if jf.Err != nil || jf.Report == nil || jf.Report.Verdict != v {
				t.Fatalf("job fact %+v", jf)
			}
			if job := <-run.ran; job.Spec.Template.Spec.Containers[0].Image != "reg/agent:1" || job.Spec.Template.Spec.ServiceAccountName != "litmus-admin" {
				t.Errorf("job %+v", job.Spec.Template.Spec)
			}
			if _, err := c.BatchV1().Jobs("litmus").Get(context.Background(), jf.JobName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the Job was not deleted: %v", err)
			}
			if !strings.Contains(strings.Join(notes, "\n"), "created Job litmus/podcred-verify-litmus-admin") {
				t.Errorf("progress %q", notes)
			}
			checks := Evaluate(Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Job: jf})
			if got := checkByID(t, checks, IDJobVerification); string(got.Status) != string(v) {
				t.Errorf("job.verification = %s: %s", got.Status, got.Message)
			}
		})
	}
}

func TestRunVerificationJobIgnoresAnOlderReport(t *testing.T) {
	c := fake.NewClientset()
	old := &report.Report{SchemaVersion: report.SchemaVersion, Kind: report.KindAgent, Subject: report.Subject{Namespace: "litmus", ServiceAccount: "litmus-admin"},
		Checks: agenttest.AgentChecks(report.StatusPass)}
	old.Finish(time.Now().Add(-time.Minute))
	if err := verdict.NewConfigMapSink(typedcore.New(c.CoreV1())).Write(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	jf := RunVerificationJob(context.Background(), c, JobOptions{Namespace: "litmus", ServiceAccount: "litmus-admin",
		Runner: publishingRunner{ran: make(chan *batchv1.Job, 1)}, Poll: 10 * time.Millisecond, Timeout: 2 * time.Second})
	if jf.Report != nil || jf.Err == nil || !strings.Contains(jf.Err.Error(), "without publishing a report") {
		t.Fatalf("job fact %+v (err %v)", jf, jf.Err)
	}
}

func TestRunVerificationJobTimesOutWhenNothingRunsThePod(t *testing.T) {
	c := fake.NewClientset()
	start := time.Now()
	jf := RunVerificationJob(context.Background(), c, JobOptions{Namespace: "litmus", ServiceAccount: "litmus-admin", Poll: 10 * time.Millisecond, Timeout: 200 * time.Millisecond})
	if jf.Err == nil || !strings.Contains(jf.Err.Error(), "no report from Job podcred-verify-litmus-admin within 200ms") || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %s", jf.Err, time.Since(start))
	}
}

// failingJobRunner marks the Job failed, as the Job controller would after the pod died.
type failingJobRunner struct{}

func (failingJobRunner) RunJob(ctx context.Context, c kubernetes.Interface, job *batchv1.Job) error {
	job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}
	_, err := c.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return errors.New("stopped")
}

func TestRunVerificationJobReportsAFailedJobWithTheRBACFix(t *testing.T) {
	c := fake.NewClientset()
	jf := RunVerificationJob(context.Background(), c, JobOptions{Namespace: "litmus", ServiceAccount: "litmus-admin",
		Runner: failingJobRunner{}, Poll: 10 * time.Millisecond, Timeout: 2 * time.Second})
	if jf.Err == nil || !strings.Contains(jf.Err.Error(), "Failed: BackoffLimitExceeded") || !strings.Contains(jf.Err.Error(), "agent-rbac") {
		t.Fatalf("err %v", jf.Err)
	}
}
