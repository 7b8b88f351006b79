package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// clear deletes what a world put in the namespaces (and what agents wrote
// there), keeping the namespaces: without a controller manager a deleted
// namespace would stay Terminating for ever. Cluster-scoped extra objects labelled
// as the sandbox's are deleted too.
func (k *kubeLoader) clear(ctx context.Context, w *world.World) error {
	zero := int64(0)
	del := metav1.DeleteOptions{GracePeriodSeconds: &zero}
	all := metav1.ListOptions{}
	var errs []error
	for _, ns := range w.Namespaces {
		core, rbac := k.client.CoreV1(), k.client.RbacV1()
		errs = append(errs,
			core.Pods(ns.Name).DeleteCollection(ctx, del, all),
			core.ConfigMaps(ns.Name).DeleteCollection(ctx, del, all),
			core.Events(ns.Name).DeleteCollection(ctx, del, all),
			core.Secrets(ns.Name).DeleteCollection(ctx, del, all),
			core.ServiceAccounts(ns.Name).DeleteCollection(ctx, del, all),
			rbac.RoleBindings(ns.Name).DeleteCollection(ctx, del, all),
			rbac.Roles(ns.Name).DeleteCollection(ctx, del, all),
		)
		errs = append(errs, k.DeleteCRDObjects(ctx, ns.Name, del)...)
	}
	for _, obj := range w.Objects {
		u := &unstructured.Unstructured{Object: obj}
		ri, err := k.Resource(u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := ri.Delete(ctx, u.GetName(), del); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return waitNoPods(ctx, k.client, w, errors.Join(errs...))
}

// waitNoPods waits (briefly) until the world's pods are gone, so that names can be reused.
func waitNoPods(ctx context.Context, client kubernetes.Interface, w *world.World, prior error) error {
	if prior != nil {
		return prior
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, ns := range w.Namespaces {
		for {
			pods, err := client.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			if len(pods.Items) == 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("namespace %s: %d pods still there after deletion", ns.Name, len(pods.Items))
			}
			if err := proc.Sleep(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}
