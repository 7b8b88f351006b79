package preflight

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"
)

func decodeObject(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: obj}
}

func TestGateCollectionReadsEnginesAndArgoWorkflows(t *testing.T) {
	wf := decodeObject(t, workflow(kindWorkflow, `
        - [{name: podcred-verify, template: verify}]
        - [{name: ec2-stop, template: chaos}]`, ""))
	other := decodeObject(t, engineWith(""))
	other.SetName("someone-elses")
	unstructured.SetNestedField(other.Object, "other", "spec", "chaosServiceAccount")
	dyn := chaosClient(decodeObject(t, engineWith(k8sGate("SOT", passSelector, stopping))), other, wf)
	g := NewKubeSource(fake.NewClientset(), dyn).gateOf(context.Background(), "litmus", "litmus-admin", "")
	if g.Err != nil || g.ArgoErr != nil || g.ArgoAbsent || g.LitmusAbsent {
		t.Fatalf("gate fact %+v", g)
	}
	if len(g.Engines) != 1 || g.Engines[0].Name != "e" || len(g.Engines[0].Experiments[0].Probes) != 1 {
		t.Fatalf("engines %+v", g.Engines)
	}
	if p := g.Engines[0].Experiments[0].Probes[0]; p.Path != "/spec/experiments/0/spec/probe/0" || !p.StopOnFailure || p.K8s == nil || p.K8s.Operation != "present" {
		t.Errorf("probe %+v", p)
	}
	if len(g.Workflows) != 1 || g.Workflows[0].Kind != kindWorkflow {
		t.Fatalf("workflows %+v", g.Workflows)
	}
	var engines int
	for _, tm := range g.Workflows[0].Templates {
		engines += len(tm.Engines)
	}
	if engines != 1 {
		t.Errorf("the workflow's embedded engine was not read: %+v", g.Workflows[0].Templates)
	}
}

func TestGateCollectionTellsAbsentAPIsFromRefusals(t *testing.T) {
	cases := []struct {
		name     string
		err      func(gr schema.GroupResource) error
		resource string
		check    func(t *testing.T, g *GateFact)
	}{
		{"Argo not installed", func(gr schema.GroupResource) error { return apierrors.NewNotFound(gr, "") }, "workflows", func(t *testing.T, g *GateFact) {
			if !g.ArgoAbsent || g.ArgoErr != nil || g.Err != nil || len(g.Engines) != 1 {
				t.Errorf("%+v", g)
			}
		}},
		{"workflows forbidden", func(gr schema.GroupResource) error { return apierrors.NewForbidden(gr, "", nil) }, "workflows", func(t *testing.T, g *GateFact) {
			if g.ArgoAbsent || g.ArgoErr == nil || g.Err != nil {
				t.Errorf("%+v", g)
			}
		}},
		{"engines forbidden", func(gr schema.GroupResource) error { return apierrors.NewForbidden(gr, "", nil) }, "chaosengines", func(t *testing.T, g *GateFact) {
			if g.Err == nil {
				t.Errorf("%+v", g)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dyn := chaosClient(decodeObject(t, engineWith("")))
			dyn.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
				r := a.GetResource()
				if r.Resource == c.resource || c.resource == "workflows" && r.Resource == "workflowtemplates" {
					return true, nil, c.err(r.GroupResource())
				}
				return false, nil, nil
			})
			c.check(t, NewKubeSource(fake.NewClientset(), dyn).gateOf(context.Background(), "litmus", "litmus-admin", ""))
		})
	}
}
