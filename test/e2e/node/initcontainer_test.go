package node

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/pkg/verdict"
)

// gatedPod is deploy/examples/init-container.yaml's plain Pod with every image
// replaced by the sandbox's agent image (the stand-in experiment then runs the
// agent with bad arguments: it starts, which is all these tests look at), run
// as ServiceAccount sa under a name of its own.
func gatedPod(t *testing.T, sa, name string) *corev1.Pod {
	t.Helper()
	docs, err := deploy.Documents("examples/init-container.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if deploy.KindOf(d) != "Pod" {
			continue
		}
		var p corev1.Pod
		if err := yaml.UnmarshalStrict(d, &p); err != nil {
			t.Fatal(err)
		}
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for i := range cs {
				cs[i].Image = node.AgentImageRef
			}
		}
		p.Name, p.Spec.ServiceAccountName = name, sa
		return &p
	}
	t.Fatal("examples/init-container.yaml: no Pod")
	return nil
}

// runGated creates the gated pod and waits until it has ended.
func runGated(t *testing.T, sa, name string) *corev1.Pod {
	t.Helper()
	c := sb(t).ControlPlane().Client
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p := gatedPod(t, sa, name)
	zero := int64(0)
	_ = c.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if _, err := c.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.CoreV1().Pods(p.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	return waitPod(ctx, t, c, p.Namespace, "app.kubernetes.io/name=podcred-gated-experiment", func(got *corev1.Pod) bool {
		return got.Name == name && (got.Status.Phase == corev1.PodSucceeded || got.Status.Phase == corev1.PodFailed)
	})
}

// experimentStarted reports whether the experiment container ever ran.
func experimentStarted(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			return true
		}
	}
	return false
}

func TestInitContainerGateStopsTheExperimentOnAFailingSetUp(t *testing.T) {
	// wrong-namespace's role trusts chaos:wrong-namespace: the agent fails (exit 3).
	pod := runGated(t, "wrong-namespace", "podcred-gated-wrong-namespace")
	if pod.Status.Phase != corev1.PodFailed {
		t.Fatalf("pod ended %s, want Failed", podSummary(pod))
	}
	if len(pod.Status.InitContainerStatuses) != 1 || pod.Status.InitContainerStatuses[0].State.Terminated == nil {
		t.Fatalf("init container did not end: %s", podSummary(pod))
	}
	term := pod.Status.InitContainerStatuses[0].State.Terminated
	// kubectl shows Init:Error for an init container terminated with reason Error.
	if term.Reason != "Error" || term.ExitCode == 0 {
		t.Errorf("init container terminated %s with exit %d, want Error (Init:Error) and a non-zero exit", term.Reason, term.ExitCode)
	}
	if experimentStarted(pod) {
		t.Errorf("the experiment container ran after a failed gate: %s", podSummary(pod))
	}
}

func TestInitContainerGateLetsTheExperimentStartWhenTheAgentPasses(t *testing.T) {
	pod := runGated(t, "litmus-admin", "podcred-gated-litmus-admin")
	if len(pod.Status.InitContainerStatuses) != 1 || pod.Status.InitContainerStatuses[0].State.Terminated == nil ||
		pod.Status.InitContainerStatuses[0].State.Terminated.ExitCode != 0 {
		t.Fatalf("the gate did not pass: %s", podSummary(pod))
	}
	if !experimentStarted(pod) {
		t.Errorf("the experiment container never started after the gate passed: %s", podSummary(pod))
	}
	if got := pod.Annotations[verdict.AnnotationVerdict]; got != "pass" {
		t.Errorf("pod annotation verdict %q, want pass", got)
	}
}
