package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/internal/sandbox"
)

// applyRBAC creates (or replaces) a Role and RoleBinding as shipped.
func applyRBAC(ctx context.Context, t *testing.T, c kubernetes.Interface, role *rbacv1.Role, binding *rbacv1.RoleBinding) {
	t.Helper()
	roles, bindings := c.RbacV1().Roles(role.Namespace), c.RbacV1().RoleBindings(binding.Namespace)
	_ = roles.Delete(ctx, role.Name, metav1.DeleteOptions{})
	_ = bindings.Delete(ctx, binding.Name, metav1.DeleteOptions{})
	if _, err := roles.Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bindings.Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// shippedJob returns deploy/job.yaml's Role, RoleBinding and Job, the Job's
// image replaced by the sandbox's agent image and nothing else changed.
func shippedJob(t *testing.T) (*rbacv1.Role, *rbacv1.RoleBinding, *batchv1.Job) {
	t.Helper()
	role, binding, job, err := sandbox.ShippedJob()
	if err != nil {
		t.Fatal(err)
	}
	return role, binding, job
}

// waitPod watches ns until a pod selected by sel satisfies done, and returns
// it. The watch is re-opened when the server ends it (client timeout).
func waitPod(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, sel string, done func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var last *corev1.Pod
	for ctx.Err() == nil {
		opts := metav1.ListOptions{LabelSelector: sel}
		list, err := c.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			continue
		}
		for i := range list.Items {
			last = &list.Items[i]
			if done(last) {
				return last
			}
		}
		opts.ResourceVersion = list.ResourceVersion
		w, err := c.CoreV1().Pods(ns).Watch(ctx, opts)
		if err != nil {
			continue
		}
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
				last = p
				if done(p) {
					w.Stop()
					return p
				}
			}
		}
		w.Stop()
	}
	t.Fatalf("no pod %q in %s reached the wanted state: %v (last: %s)", sel, ns, ctx.Err(), podSummary(last))
	return nil
}

// podSummary describes a pod's phase and container states, for failures.
func podSummary(p *corev1.Pod) string {
	if p == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s phase %s", p.Name, p.Status.Phase)
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		fmt.Fprintf(&b, "; %s %+v", cs.Name, cs.State)
	}
	return b.String()
}

// podEvents lists the Events about pod, for failure messages and assertions.
func podEvents(ctx context.Context, c kubernetes.Interface, p *corev1.Pod) ([]corev1.Event, error) {
	sel := fields.OneTermEqualSelector("involvedObject.uid", string(p.UID)).String()
	list, err := c.CoreV1().Events(p.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// deleteJob removes a Job and its pods (foreground), ignoring NotFound.
func deleteJob(ctx context.Context, c kubernetes.Interface, ns, name string) {
	bg := metav1.DeletePropagationBackground
	if err := c.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
		panic(err)
	}
}
