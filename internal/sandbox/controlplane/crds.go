package controlplane

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// crdFiles holds the CustomResourceDefinitions the sandbox installs: Litmus's
// (structural schemas for every field podcred reads or its examples use) and
// Argo's Workflow and WorkflowTemplate (Litmus's chaos infrastructure runs
// experiments as Argo workflows). Each file says what it was written from.
//
//go:embed crds/*.yaml
var crdFiles embed.FS

// crdGVR is the CustomResourceDefinition resource.
var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// sandboxCRD is one installed CRD: its served resource and kind.
type sandboxCRD struct {
	gvr  schema.GroupVersionResource
	kind string
	obj  *unstructured.Unstructured
}

// sandboxCRDs are the parsed crdFiles, in file order.
var sandboxCRDs = func() []sandboxCRD {
	entries, err := crdFiles.ReadDir("crds")
	if err != nil {
		panic(err) // embedded at build time: a broken file fails every sandbox test
	}
	var out []sandboxCRD
	for _, e := range entries {
		b, err := crdFiles.ReadFile("crds/" + e.Name())
		if err != nil {
			panic(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			panic(fmt.Sprintf("crds/%s: %v", e.Name(), err))
		}
		u.SetLabels(ManagedLabels())
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		out = append(out, sandboxCRD{gvr: schema.GroupVersionResource{Group: group, Version: "v1alpha1", Resource: plural}, kind: kind, obj: u})
	}
	return out
}()

// crdFor returns the sandbox CRD serving gvk's kind, if any.
func crdFor(gvk schema.GroupVersionKind) (sandboxCRD, bool) {
	for _, c := range sandboxCRDs {
		if c.kind == gvk.Kind && c.gvr.Group == gvk.Group {
			return c, true
		}
	}
	return sandboxCRD{}, false
}

// installLitmusCRDs installs sandboxCRDs, waits until they are Established
// and served, and records when they became so (see waitCRDsSettled).
func (k *Objects) installLitmusCRDs(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range sandboxCRDs {
		crd := c.obj.DeepCopy()
		for { // the apiserver may still be starting
			_, err := k.dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("install CRD %s: %w", crd.GetName(), err)
			}
			if err := proc.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	for _, c := range sandboxCRDs {
		name := c.obj.GetName()
		for {
			u, err := k.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err == nil {
				if at, ok := establishedAt(u); ok {
					if at.After(k.crdsEstablished) {
						k.crdsEstablished = at
					}
					// Established comes a moment before the resource is served; until
					// then the apiserver answers 503 with Retry-After: 1 s.
					err = k.client.CoreV1().RESTClient().Get().AbsPath("/apis", c.gvr.Group, c.gvr.Version, c.gvr.Resource).
						Param("limit", "1").MaxRetries(0).Do(ctx).Error()
					if err == nil {
						break
					}
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established (%v)", name, err)
			}
			if err := proc.Sleep(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// StartCRDs installs the CRDs and the shipped admission policy in the
// background; CRDsInstalled and CRDsReady wait for them.
func (k *Objects) StartCRDs(ctx context.Context) {
	k.crdsDone = make(chan struct{})
	go func() {
		defer close(k.crdsDone)
		k.crdsErr = errors.Join(k.installLitmusCRDs(ctx), k.installAdmissionPolicy(ctx, k.config))
	}()
}

// CRDsInstalled waits until the Litmus CRDs are installed and served.
func (k *Objects) CRDsInstalled(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-k.crdsDone:
		return k.crdsErr
	}
}

// CRDsReady waits until the Litmus CRDs are installed and settled.
func (k *Objects) CRDsReady(ctx context.Context) error {
	if err := k.CRDsInstalled(ctx); err != nil {
		return err
	}
	return k.waitCRDsSettled(ctx)
}

// crdCreateGrace is how long after a CRD's Established transition the
// apiserver delays creates of its objects (by sleeping 2 s in the request).
const crdCreateGrace = 2 * time.Second

// waitCRDsSettled waits until the Litmus CRDs have been Established for
// crdCreateGrace, so that creating chaos objects does not stall in the
// apiserver; meanwhile the rest of the world is loaded.
func (k *Objects) waitCRDsSettled(ctx context.Context) error {
	// The apiserver compares with the same (second-truncated) transition time.
	wait := time.Until(k.crdsEstablished.Add(crdCreateGrace + 100*time.Millisecond))
	if wait <= 0 {
		return nil
	}
	return proc.Sleep(ctx, wait)
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
