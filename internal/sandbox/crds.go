package sandbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// litmusGroup is the API group of Litmus objects.
const litmusGroup = "litmuschaos.io"

// crdGVR is the CustomResourceDefinition resource.
var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// litmusKinds are the Litmus kinds the sandbox installs (kind -> plural).
var litmusKinds = map[string]string{
	"ChaosExperiment": "chaosexperiments",
	"ChaosEngine":     "chaosengines",
	"ChaosResult":     "chaosresults",
}

// installLitmusCRDs installs minimal litmuschaos.io/v1alpha1 CRDs (any spec is
// kept: x-kubernetes-preserve-unknown-fields), waits until they are Established
// and served, and records when they became so (see waitCRDsSettled).
func (k *kubeLoader) installLitmusCRDs(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for kind, plural := range litmusKinds {
		crd := litmusCRD(kind, plural)
		for { // the apiserver may still be starting
			_, err := k.dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("install CRD %s: %w", crd.GetName(), err)
			}
			if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	for _, plural := range litmusKinds {
		name := plural + "." + litmusGroup
		for {
			u, err := k.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err == nil {
				if at, ok := establishedAt(u); ok {
					if at.After(k.crdsEstablished) {
						k.crdsEstablished = at
					}
					// Established comes a moment before the resource is served; until
					// then the apiserver answers 503 with Retry-After: 1 s.
					err = k.client.CoreV1().RESTClient().Get().AbsPath("/apis", litmusGroup, "v1alpha1", plural).
						Param("limit", "1").MaxRetries(0).Do(ctx).Error()
					if err == nil {
						break
					}
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established (%v)", name, err)
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// startCRDs installs the Litmus CRDs in the background; crdsReady waits for them.
func (k *kubeLoader) startCRDs(ctx context.Context) {
	k.crdsDone = make(chan struct{})
	go func() {
		defer close(k.crdsDone)
		k.crdsErr = k.installLitmusCRDs(ctx)
	}()
}

// crdsInstalled waits until the Litmus CRDs are installed and served.
func (k *kubeLoader) crdsInstalled(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-k.crdsDone:
		return k.crdsErr
	}
}

// crdsReady waits until the Litmus CRDs are installed and settled.
func (k *kubeLoader) crdsReady(ctx context.Context) error {
	if err := k.crdsInstalled(ctx); err != nil {
		return err
	}
	return k.waitCRDsSettled(ctx)
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// crdCreateGrace is how long after a CRD's Established transition the
// apiserver delays creates of its objects (by sleeping 2 s in the request).
const crdCreateGrace = 2 * time.Second

// waitCRDsSettled waits until the Litmus CRDs have been Established for
// crdCreateGrace, so that creating chaos objects does not stall in the
// apiserver; meanwhile the rest of the world is loaded.
func (k *kubeLoader) waitCRDsSettled(ctx context.Context) error {
	// The apiserver compares with the same (second-truncated) transition time.
	wait := time.Until(k.crdsEstablished.Add(crdCreateGrace + 100*time.Millisecond))
	if wait <= 0 {
		return nil
	}
	return sleepCtx(ctx, wait)
}

// litmusCRD is a minimal namespaced CRD for kind that keeps any spec.
func litmusCRD(kind, plural string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": plural + "." + litmusGroup, "labels": map[string]any{ManagedByLabel: managedByValue}},
		"spec": map[string]any{
			"group": litmusGroup,
			"scope": "Namespaced",
			"names": map[string]any{"kind": kind, "listKind": kind + "List", "plural": plural, "singular": strings.ToLower(kind)},
			"versions": []any{map[string]any{
				"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
				"subresources": map[string]any{"status": map[string]any{}},
			}},
		},
	}}
}

// establishedAt returns when the CRD became Established, if it is.
func establishedAt(u *unstructured.Unstructured) (time.Time, bool) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			at, err := time.Parse(time.RFC3339, fmt.Sprint(m["lastTransitionTime"]))
			return at, err == nil
		}
	}
	return time.Time{}, false
}
