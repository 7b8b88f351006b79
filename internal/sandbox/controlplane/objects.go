package controlplane

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Labels the sandbox puts on what it creates.
const (
	// ManagedByLabel marks every object the sandbox creates, with ManagedByValue.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "podcred-sandbox"
)

// ManagedLabels label what the sandbox creates.
func ManagedLabels() map[string]string { return map[string]string{ManagedByLabel: ManagedByValue} }

// Objects creates objects of any kind with the admin's credentials: the
// sandbox's CRDs and the shipped admission policy (StartCRDs), and whatever a
// world holds (Create).
type Objects struct {
	client kubernetes.Interface
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	config *rest.Config // the admin's

	// Litmus CRDs, installed in the background (see StartCRDs).
	crdsDone        chan struct{}
	crdsErr         error
	crdsEstablished time.Time
}

// NewObjects returns an Objects using cp's admin credentials.
func NewObjects(cp *ControlPlane) (*Objects, error) {
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cp.Client.Discovery()))
	return &Objects{client: cp.Client, dyn: dyn, mapper: mapper, config: cp.Config}, nil
}

// DeleteCRDObjects deletes every object of the sandbox's CRDs in namespace ns.
func (k *Objects) DeleteCRDObjects(ctx context.Context, ns string, del metav1.DeleteOptions) []error {
	var errs []error
	for _, c := range sandboxCRDs {
		errs = append(errs, k.dyn.Resource(c.gvr).Namespace(ns).DeleteCollection(ctx, del, metav1.ListOptions{}))
	}
	return errs
}

// Resource returns the client for u's kind: the sandbox's CRDs directly, others
// mapped through discovery (namespaced ones default to "default").
func (k *Objects) Resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	if c, ok := crdFor(gvk); ok {
		return k.dyn.Resource(gvk.GroupVersion().WithResource(c.gvr.Resource)).Namespace(u.GetNamespace()), nil
	}
	mapping, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	if mapping.Scope.Name() != "namespace" {
		return k.dyn.Resource(mapping.Resource), nil
	}
	if u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	return k.dyn.Resource(mapping.Resource).Namespace(u.GetNamespace()), nil
}

// Create creates an object of any kind, labelled as the sandbox's.
func (k *Objects) Create(ctx context.Context, u *unstructured.Unstructured) error {
	ri, err := k.Resource(u)
	if err != nil {
		return err
	}
	gvk := u.GroupVersionKind()
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ManagedByLabel] = ManagedByValue
	u.SetLabels(labels)
	if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return nil
}
