package e2e

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
)

// shippedApplier applies manifests with the admin's credentials by
// server-side apply, with strict field validation.
type shippedApplier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newShippedApplier(t *testing.T) *shippedApplier {
	t.Helper()
	cp := sb(t).ControlPlane()
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &shippedApplier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cp.Client.Discovery()))}
}

// apply creates one YAML document, or updates the object when it exists,
// with strict field validation, as `kubectl apply --validate=strict` does (a
// server-side apply patch would silently prune a misspelled field of a
// custom resource instead). dryRun asks the apiserver to run every
// admission step and validation without storing anything.
func (a *shippedApplier) apply(t *testing.T, doc []byte, dryRun bool) error {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		t.Fatal(err)
	}
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	ri := dynamic.ResourceInterface(a.dyn.Resource(m.Resource))
	if m.Scope.Name() == "namespace" {
		ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	var dry []string
	if dryRun {
		dry = []string{metav1.DryRunAll}
	}
	ctx := t.Context()
	_, err = ri.Create(ctx, u, metav1.CreateOptions{FieldValidation: "Strict", DryRun: dry})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	u.SetResourceVersion(cur.GetResourceVersion())
	_, err = ri.Update(ctx, u, metav1.UpdateOptions{FieldValidation: "Strict", DryRun: dry})
	return err
}

// applyShipped applies the documents of a shipped manifest whose kind is in
// kinds, for real.
func applyShipped(t *testing.T, file string, kinds ...string) {
	t.Helper()
	docs, err := deploy.Documents(file)
	if err != nil {
		t.Fatal(err)
	}
	a := newShippedApplier(t)
	for _, d := range docs {
		if k := deploy.KindOf(d); len(kinds) == 0 || contains(kinds, k) {
			if err := a.apply(t, d, false); err != nil {
				t.Fatalf("apply %s %s: %v", file, k, err)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Every shipped manifest is accepted by the real kube-apiserver with the
// admission policy installed and the Litmus and Argo CRDs' schemas, under
// strict field validation; and the schemas are tight enough that a
// misspelled probe field is rejected (so this test can fail).
func TestShippedManifestsPassStrictServerSideValidation(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld) // namespace litmus and ServiceAccount litmus-admin exist there
	files, err := deploy.Files()
	if err != nil {
		t.Fatal(err)
	}
	a := newShippedApplier(t)
	n := 0
	for _, f := range files {
		docs, err := deploy.Documents(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range docs {
			if err := a.apply(t, d, true); err != nil {
				t.Errorf("%s document %d (%s): %v", f, i+1, deploy.KindOf(d), err)
			}
			n++
		}
	}
	if n < 15 {
		t.Errorf("only %d documents in %v", n, files)
	}

	t.Run("a misspelled stopOnFailure is rejected", func(t *testing.T) {
		defer stopOnPanic()
		docs, err := deploy.Documents("examples/litmus-probes.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if deploy.KindOf(d) != "ChaosEngine" {
				continue
			}
			bad := strings.Replace(string(d), "stopOnFailure: true", "stopOnFaliure: true", 1)
			err := a.apply(t, []byte(bad), true)
			if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "stopOnFaliure") {
				t.Fatalf("a ChaosEngine with stopOnFaliure: %v, want a strict-validation error naming the field", err)
			}
			return
		}
		t.Fatal("no ChaosEngine in litmus-probes.yaml")
	})
}
