package node

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/verdict"
)

func TestShippedJobRunsToCompletionOnTheNode(t *testing.T) {
	s := sb(t)
	c := s.ControlPlane().Client
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	role, binding, job := shippedJob(t)
	applyRBAC(ctx, t, c, role, binding)
	deleteJob(ctx, c, job.Namespace, job.Name)
	_ = c.CoreV1().ConfigMaps(job.Namespace).Delete(ctx, "podcred-litmus-admin", metav1.DeleteOptions{})
	if _, err := c.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer deleteJob(context.Background(), c, job.Namespace, job.Name)

	pod := waitPod(ctx, t, c, job.Namespace, "batch.kubernetes.io/job-name="+job.Name, func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("the Job's pod ended %s", podSummary(pod))
	}
	// The node ran it: the scheduler placed it, the webhook injected IRSA and loopback.
	if pod.Spec.NodeName != controlplane.KubeletNodeName || !pod.Spec.HostNetwork {
		t.Errorf("pod on node %q, hostNetwork %v", pod.Spec.NodeName, pod.Spec.HostNetwork)
	}
	ctr := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	if env["AWS_WEB_IDENTITY_TOKEN_FILE"] != podiam.TokenPath || env["AWS_ROLE_ARN"] == "" {
		t.Errorf("webhook env: %v", env)
	}
	if ctr.SecurityContext == nil || ctr.SecurityContext.ReadOnlyRootFilesystem == nil || !*ctr.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("the shipped read-only root filesystem is gone: %+v", ctr.SecurityContext)
	}
	if _, ok := env["KUBECONFIG"]; ok {
		t.Errorf("KUBECONFIG set: the agent must use in-cluster configuration")
	}

	// The sinks: ConfigMap, annotation on its own pod, Event.
	cm, err := c.CoreV1().ConfigMaps(job.Namespace).Get(ctx, "podcred-litmus-admin", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("report ConfigMap: %v", err)
	}
	if got := cm.Labels[verdict.LabelVerdict]; got != "pass" {
		t.Errorf("ConfigMap verdict %q, want pass", got)
	}
	if got := pod.Annotations[verdict.AnnotationVerdict]; got != "pass" {
		t.Errorf("pod annotation verdict %q, want pass", got)
	}
	events, err := podEvents(ctx, c, pod)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		found = found || e.Reason == verdict.ReasonCheckPassed
	}
	if !found {
		t.Errorf("no %s Event on the pod; events: %+v", verdict.ReasonCheckPassed, events)
	}
}
