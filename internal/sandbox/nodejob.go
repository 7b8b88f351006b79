package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/proc"
)

// ShippedImage is the image reference deploy/ ships; the node runs AgentImageRef in its place.
const ShippedImage = "ghcr.io/podcred/podcred-agent:latest"

// ShippedJob returns deploy/job.yaml's Role, RoleBinding and Job with the
// Job's image replaced by AgentImageRef, and nothing else changed.
func ShippedJob() (*rbacv1.Role, *rbacv1.RoleBinding, *batchv1.Job, error) {
	docs, err := deploy.Documents(deploy.JobFile)
	if err != nil {
		return nil, nil, nil, err
	}
	var (
		role    rbacv1.Role
		binding rbacv1.RoleBinding
		job     batchv1.Job
	)
	for _, d := range docs {
		switch deploy.KindOf(d) {
		case "Role":
			err = yaml.UnmarshalStrict(d, &role)
		case "RoleBinding":
			err = yaml.UnmarshalStrict(d, &binding)
		case "Job":
			err = yaml.UnmarshalStrict([]byte(strings.ReplaceAll(string(d), ShippedImage, node.AgentImageRef)), &job)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", deploy.JobFile, err)
		}
	}
	if job.Name == "" || job.Spec.Template.Spec.Containers[0].Image != node.AgentImageRef {
		return nil, nil, nil, fmt.Errorf("%s: no Job with image %s", deploy.JobFile, ShippedImage)
	}
	return &role, &binding, &job, nil
}

// RunShippedJob applies deploy/job.yaml (image replaced) on the node, after
// deleting a previous run, and returns the Job's pod once it has ended. It
// fails when the sandbox has no node.
func (s *Sandbox) RunShippedJob(ctx context.Context) (*corev1.Pod, error) {
	if s.node == nil {
		return nil, errors.New("the sandbox has no node: start it with Options.Node (--node)")
	}
	role, binding, job, err := ShippedJob()
	if err != nil {
		return nil, err
	}
	c := s.cp.Client
	bg := metav1.DeletePropagationBackground
	if err := c.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	for _, create := range []func() error{
		func() error {
			_, err := c.RbacV1().Roles(role.Namespace).Create(ctx, role, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.RbacV1().RoleBindings(binding.Namespace).Create(ctx, binding, metav1.CreateOptions{})
			return err
		},
	} {
		if err := create(); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
	}
	created, err := createWhenNameFree(ctx, func() error {
		_, err := c.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{})
		return err
	})
	if err != nil || !created {
		return nil, fmt.Errorf("create Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: "batch.kubernetes.io/controller-uid"}
	for {
		pods, err := c.CoreV1().Pods(job.Namespace).List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.Labels["batch.kubernetes.io/job-name"] == job.Name && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) {
				return p, nil
			}
		}
		if err := proc.Sleep(ctx, 200*time.Millisecond); err != nil {
			return nil, fmt.Errorf("Job %s/%s: no pod ended: %w", job.Namespace, job.Name, err)
		}
	}
}

// createWhenNameFree retries create while the previous object of that name is
// still being deleted (AlreadyExists), and reports whether it was created.
func createWhenNameFree(ctx context.Context, create func() error) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		err := create()
		if err == nil {
			return true, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return false, err
		}
		if werr := proc.Sleep(ctx, 100*time.Millisecond); werr != nil {
			return false, err
		}
	}
}
