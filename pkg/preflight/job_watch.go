package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
	"github.com/podcred/podcred/pkg/verdict/typedcore"
)

var errNoReport = errors.New("the agent exited without publishing a report")

// deleteJob deletes a Job and its pods (background propagation). With wait,
// it returns only once the Job is gone (a Job's pod template is immutable,
// so a new one can be created only then).
func deleteJob(ctx context.Context, c kubernetes.Interface, ns, name string, wait bool) error {
	err := c.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !wait {
		return err
	}
	for {
		if _, err := c.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// publishedAt is the finish time of the report already in the ConfigMap, if any.
func publishedAt(ctx context.Context, c kubernetes.Interface, ns, sa string) time.Time {
	cm, err := c.CoreV1().ConfigMaps(ns).Get(ctx, verdict.ConfigMapName(sa), metav1.GetOptions{})
	if err != nil {
		return time.Time{}
	}
	var r report.Report
	if json.Unmarshal([]byte(cm.Data[verdict.DataReport]), &r) != nil {
		return time.Time{}
	}
	return r.FinishedAt
}

// freshReport reads the agent's report through the gate (which checks that
// the ConfigMap is podcred's, readable and consistent, and about this SA) and
// accepts it, whatever its verdict, when it was published after prev.
func freshReport(ctx context.Context, c kubernetes.Interface, ns, sa string, prev time.Time) (*report.Report, bool) {
	r, err := verdict.Gate(ctx, typedcore.New(c.CoreV1()), verdict.GateOptions{Namespace: ns, ServiceAccount: sa, MaxAge: 24 * time.Hour, Required: credcheck.GateRequired, Proof: credcheck.GateProof})
	if err != nil {
		var ge *verdict.GateError
		if !errors.As(err, &ge) || ge.Report == nil {
			return nil, false
		}
		switch ge.Reason {
		case verdict.GateFailed, verdict.GateErrored, verdict.GateExpired:
			r = ge.Report
		default:
			return nil, false
		}
	}
	if !r.FinishedAt.After(prev) {
		return nil, false
	}
	return r, true
}

// jobState summarizes the Job and its pod, and says whether the Job ended.
func jobState(ctx context.Context, c kubernetes.Interface, ns, name string) (string, bool) {
	j, err := c.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "job unreadable: " + err.Error(), false
	}
	for _, cond := range j.Status.Conditions {
		if cond.Status == corev1.ConditionTrue && (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) {
			return fmt.Sprintf("%s: %s %s", cond.Type, cond.Reason, cond.Message), true
		}
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + name})
	if err != nil || len(pods.Items) == 0 {
		return "no pod yet", false
	}
	p := pods.Items[0]
	state := "pod " + p.Name + " " + string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			state += " (" + w.Reason + ")"
		}
	}
	return state, false
}

// maxLogBytes bounds the agent log read back: a JSON report is far smaller.
const maxLogBytes = 1 << 20

// reportFromLog reads the agent's JSON report from its pod's log (stdout).
func reportFromLog(ctx context.Context, c kubernetes.Interface, ns, job string) *report.Report {
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + job})
	if err != nil || len(pods.Items) == 0 {
		return nil
	}
	opts := &corev1.PodLogOptions{Container: "podcred-agent", LimitBytes: ptr.To(int64(maxLogBytes))}
	raw, err := c.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, opts).DoRaw(ctx)
	if err != nil {
		return nil
	}
	var r report.Report
	if i := bytes.IndexByte(raw, '{'); i < 0 || json.Unmarshal(raw[i:], &r) != nil || r.SchemaVersion != report.SchemaVersion || r.Kind != report.KindAgent {
		return nil
	}
	return &r
}

// jobWait watches one verification Job until the agent's report appears.
type jobWait struct {
	c     kubernetes.Interface
	o     JobOptions
	job   string
	start time.Time
	// prev is the finish time of the report published before the Job.
	prev time.Time
}

// progress sends one line to JobOptions.Progress.
func (w *jobWait) progress(format string, args ...any) {
	if w.o.Progress != nil {
		w.o.Progress(fmt.Sprintf(format, args...))
	}
}

// wait polls the ConfigMap and the Job until a report newer than prev is
// published, the Job (or the runner) ends — then the pod's log is the last
// resort —, or ctx ends.
func (w *jobWait) wait(ctx context.Context, runnerDone <-chan error) (*report.Report, error) {
	o := w.o
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	lastNote, lastState := time.Now(), ""
	var runnerErr error
	for {
		if r, ok := freshReport(ctx, w.c, o.Namespace, o.ServiceAccount, w.prev); ok {
			w.progress("agent verdict %s", r.Verdict)
			return r, nil
		}
		state, ended := jobState(ctx, w.c, o.Namespace, w.job)
		if ended || runnerErr != nil {
			return w.ended(ctx, state, runnerErr)
		}
		if state != lastState || time.Since(lastNote) >= 10*time.Second {
			w.progress("waiting for Job %s: %s (%s)", w.job, state, o.Now().Sub(w.start).Round(time.Second))
			lastNote, lastState = time.Now(), state
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no report from Job %s within %s (last state: %s)", w.job, o.Timeout, state)
		case err := <-runnerDone:
			runnerErr = err
			if err == nil {
				// The pod ran: one last look at the ConfigMap happens at the top of the loop.
				runnerErr = errNoReport
			}
		case <-tick.C:
		}
	}
}

// ended reads the report from the pod's log once the Job (or the runner)
// ended without publishing one, or says why there is none.
func (w *jobWait) ended(ctx context.Context, state string, runnerErr error) (*report.Report, error) {
	if r := reportFromLog(ctx, w.c, w.o.Namespace, w.job); r != nil {
		w.progress("agent verdict %s (read from the pod's log: the ConfigMap sink did not publish)", r.Verdict)
		return r, nil
	}
	if runnerErr != nil {
		return nil, fmt.Errorf("running the Job's pod: %w", runnerErr)
	}
	return nil, fmt.Errorf("Job %s ended (%s) without publishing a report to ConfigMap %s: check the agent RBAC "+
		"(kubectl apply -f deploy/job.yaml -l app.kubernetes.io/component=agent-rbac)", w.job, state, verdict.ConfigMapName(w.o.ServiceAccount))
}
