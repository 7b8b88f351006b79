package preflight

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
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
	o = o.withDefaults()
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
	finish := func(r *report.Report, err error) *JobFact {
		jf.Report, jf.Err, jf.Duration = r, err, o.Now().Sub(start)
		return jf
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := deleteJob(ctx, c, o.Namespace, job.Name, true); err != nil {
		return finish(nil, fmt.Errorf("delete the previous Job %s: %w", job.Name, err))
	}
	w := &jobWait{c: c, o: o, job: job.Name, start: start,
		prev: publishedAt(ctx, c, o.Namespace, o.ServiceAccount)}
	created, err := c.BatchV1().Jobs(o.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return finish(nil, fmt.Errorf("create Job %s/%s: %w", o.Namespace, job.Name, err))
	}
	w.progress("created Job %s/%s (image %s)", o.Namespace, job.Name, job.Spec.Template.Spec.Containers[0].Image)
	if !o.Keep {
		defer func() {
			// The run's context may be over: clean up with a fresh, bounded one.
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer dcancel()
			if err := deleteJob(dctx, c, o.Namespace, job.Name, false); err != nil {
				w.progress("could not delete Job %s: %v", job.Name, err)
			}
		}()
	}
	runnerDone := make(chan error, 1)
	if o.Runner != nil {
		go func() { runnerDone <- o.Runner.RunJob(ctx, c, created) }()
	}
	return finish(w.wait(ctx, runnerDone))
}

// withDefaults fills the zero values of JobOptions.
func (o JobOptions) withDefaults() JobOptions {
	if o.Timeout <= 0 {
		o.Timeout = DefaultJobTimeout
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
