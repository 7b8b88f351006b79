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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
	"github.com/podcred/podcred/pkg/verdict/typedcore"
)

// Defaults of the verification Job (deploy/job.yaml).
const (
	DefaultAgentImage = "ghcr.io/podcred/podcred-agent:latest"
	// DefaultJobTimeout bounds the wait for the agent's verdict: the Job's
	// activeDeadlineSeconds (120 s) plus time to schedule and pull.
	DefaultJobTimeout = 150 * time.Second
	// JobNamePrefix prefixes the ServiceAccount's name to name the Job.
	JobNamePrefix = "podcred-verify-"
	// agentUID is the nonroot user of the distroless base image.
	agentUID = int64(65532)
)

// VerificationJob builds the one-off verification Job of deploy/job.yaml for
// ServiceAccount sa in namespace ns: the agent, run once as a pod of the SA,
// publishing its report to the ConfigMap podcred-<sa>. deploy/job.yaml is the
// canonical manifest; a test keeps the two in sync.
func VerificationJob(ns, sa, image string) *batchv1.Job {
	if image == "" {
		image = DefaultAgentImage
	}
	labels := map[string]string{
		"app.kubernetes.io/name":      "podcred-agent",
		"app.kubernetes.io/part-of":   "podcred",
		"app.kubernetes.io/component": "verification-job",
		verdict.LabelServiceAccount:   verdict.LabelValue(sa),
	}
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: JobName(sa), Namespace: ns, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To(int32(0)),
			ActiveDeadlineSeconds:   ptr.To(int64(120)),
			TTLSecondsAfterFinished: ptr.To(int32(600)),
			Completions:             ptr.To(int32(1)),
			Parallelism:             ptr.To(int32(1)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:            sa,
					AutomountServiceAccountToken:  ptr.To(true),
					RestartPolicy:                 corev1.RestartPolicyNever,
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To(int64(10)),
					NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(agentUID), RunAsGroup: ptr.To(agentUID), FSGroup: ptr.To(agentUID),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "podcred-agent",
						Image: image,
						Args:  []string{"--sink", "stdout,configmap,annotation,event"},
						Env: []corev1.EnvVar{field(credcheck.EnvPodName, "metadata.name"), field(credcheck.EnvPodNamespace, "metadata.namespace"),
							field(credcheck.EnvPodUID, "metadata.uid"), field(credcheck.EnvPodServiceAcct, "spec.serviceAccountName"),
							{Name: credcheck.EnvExperimentSDK, Value: DefaultExperimentSDK}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true), RunAsNonRoot: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
				},
			},
		},
	}
}

// DefaultExperimentSDK is the SDK the verification Job judges the chain
// with unless told otherwise: litmus-go's, as the fault catalogue is
// Litmus's (deploy/job.yaml sets the same).
const DefaultExperimentSDK = credcheck.SDKGoV1

// JobName is the verification Job's name for a ServiceAccount, at most 63
// characters (its pods carry it in the job-name label).
func JobName(sa string) string { return verdict.LabelValue(JobNamePrefix + sa) }

// JobRunner runs a verification Job's pod where no kubelet will: tests and
// the sandbox. RunJob is called once the Job exists and should return when
// the agent has exited; RunVerificationJob still reads the verdict from the
// ConfigMap the agent published.
type JobRunner interface {
	RunJob(ctx context.Context, c kubernetes.Interface, job *batchv1.Job) error
}

// JobOptions configure RunVerificationJob.
type JobOptions struct {
	Namespace, ServiceAccount string
	// Image is the agent image (default DefaultAgentImage).
	Image string
	// Timeout bounds the wait for a verdict (default DefaultJobTimeout).
	Timeout time.Duration
	// Poll is the interval between looks at the Job and the ConfigMap (default 1 s).
	Poll time.Duration
	// Keep leaves the Job in place (default: deleted with its pods).
	Keep bool
	// ExperimentSDK is passed to the agent as PODCRED_EXPERIMENT_SDK
	// (default DefaultExperimentSDK).
	ExperimentSDK string
	// Runner runs the pod where there is no kubelet; nil: the cluster does.
	Runner JobRunner
	// Progress receives one line about every 10 s of waiting, and at each change.
	Progress func(string)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RunVerificationJob creates the verification Job, waits (bounded) for the
// agent's report in ConfigMap podcred-<sa> — or, when the Job ended without
// publishing one, in its pod's log — and deletes the Job with its pods. A
// leftover Job of the same name is deleted first. It never fails: what went
// wrong is in JobFact.Err.
func RunVerificationJob(ctx context.Context, c kubernetes.Interface, o JobOptions) *JobFact {
	if o.Timeout <= 0 {
		o.Timeout = DefaultJobTimeout
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, args...))
		}
	}
	start := o.Now()
	job := VerificationJob(o.Namespace, o.ServiceAccount, o.Image)
	if o.ExperimentSDK != "" {
		env := job.Spec.Template.Spec.Containers[0].Env
		for i := range env {
			if env[i].Name == credcheck.EnvExperimentSDK {
				env[i].Value = o.ExperimentSDK
			}
		}
	}
	jf := &JobFact{JobName: job.Name}
	finish := func(err error) *JobFact {
		jf.Err, jf.Duration = err, o.Now().Sub(start)
		return jf
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	jobs := c.BatchV1().Jobs(o.Namespace)
	if err := deleteJob(ctx, c, o.Namespace, job.Name, true); err != nil {
		return finish(fmt.Errorf("delete the previous Job %s: %w", job.Name, err))
	}
	prev := publishedAt(ctx, c, o.Namespace, o.ServiceAccount)
	created, err := jobs.Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return finish(fmt.Errorf("create Job %s/%s: %w", o.Namespace, job.Name, err))
	}
	progress("created Job %s/%s (image %s)", o.Namespace, job.Name, job.Spec.Template.Spec.Containers[0].Image)
	if !o.Keep {
		defer func() {
			// The run's context may be over: clean up with a fresh, bounded one.
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer dcancel()
			if err := deleteJob(dctx, c, o.Namespace, job.Name, false); err != nil {
				progress("could not delete Job %s: %v", job.Name, err)
			}
		}()
	}
	runnerDone := make(chan error, 1)
	if o.Runner != nil {
		go func() { runnerDone <- o.Runner.RunJob(ctx, c, created) }()
	}
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	lastNote, lastState := time.Now(), ""
	var runnerErr error
	for {
		if r, ok := freshReport(ctx, c, o.Namespace, o.ServiceAccount, prev); ok {
			jf.Report = r
			progress("agent verdict %s", r.Verdict)
			return finish(nil)
		}
		state, ended := jobState(ctx, c, o.Namespace, job.Name)
		if ended || runnerErr != nil {
			if r := reportFromLog(ctx, c, o.Namespace, job.Name); r != nil {
				jf.Report = r
				progress("agent verdict %s (read from the pod's log: the ConfigMap sink did not publish)", r.Verdict)
				return finish(nil)
			}
			if runnerErr != nil {
				return finish(fmt.Errorf("running the Job's pod: %w", runnerErr))
			}
			return finish(fmt.Errorf("Job %s ended (%s) without publishing a report to ConfigMap %s: check the agent RBAC "+
				"(kubectl apply -f deploy/job.yaml -l app.kubernetes.io/component=agent-rbac)", job.Name, state, verdict.ConfigMapName(o.ServiceAccount)))
		}
		if state != lastState || time.Since(lastNote) >= 10*time.Second {
			progress("waiting for Job %s: %s (%s)", job.Name, state, o.Now().Sub(start).Round(time.Second))
			lastNote, lastState = time.Now(), state
		}
		select {
		case <-ctx.Done():
			return finish(fmt.Errorf("no report from Job %s within %s (last state: %s)", job.Name, o.Timeout, state))
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

// reportFromLog reads the agent's JSON report from its pod's log (stdout).
func reportFromLog(ctx context.Context, c kubernetes.Interface, ns, job string) *report.Report {
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + job})
	if err != nil || len(pods.Items) == 0 {
		return nil
	}
	raw, err := c.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{Container: "podcred-agent"}).DoRaw(ctx)
	if err != nil {
		return nil
	}
	var r report.Report
	if i := bytes.IndexByte(raw, '{'); i < 0 || json.Unmarshal(raw[i:], &r) != nil || r.SchemaVersion != report.SchemaVersion || r.Kind != report.KindAgent {
		return nil
	}
	return &r
}
