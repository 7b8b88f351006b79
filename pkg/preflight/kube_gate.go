package preflight

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Argo resources (argoproj.io/v1alpha1) that may create ChaosEngines.
var (
	workflowsGVR         = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
	workflowTemplatesGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}
)

var errArgoAbsent = errors.New("argoproj.io/v1alpha1 workflows are not served")

// listArgo lists a namespace's Workflows and WorkflowTemplates once. A
// resource the API server does not serve reads as empty; errArgoAbsent
// when neither is served.
func (k *KubeSource) listArgo(ctx context.Context, ns string) ([]unstructured.Unstructured, error) {
	return k.argo.do(ns, func() ([]unstructured.Unstructured, error) {
		var out []unstructured.Unstructured
		served := 0
		for _, gvr := range []schema.GroupVersionResource{workflowsGVR, workflowTemplatesGVR} {
			cctx, cancel := context.WithTimeout(ctx, k.timeout())
			l, err := k.Dynamic.Resource(gvr).Namespace(ns).List(cctx, metav1.ListOptions{})
			cancel()
			switch {
			case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
				continue
			case err != nil:
				return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
			}
			served++
			for i := range l.Items {
				// Items of a list may come without kind.
				if l.Items[i].GetKind() == "" {
					l.Items[i].SetKind(map[string]string{"workflows": kindWorkflow, "workflowtemplates": kindWorkflowTemplate}[gvr.Resource])
				}
			}
			out = append(out, l.Items...)
		}
		if served == 0 {
			return nil, errArgoAbsent
		}
		return out, nil
	})
}

// gateOf collects what experiment.gate judges: the namespace's ChaosEngines
// running as sa and its Argo workflows (absent APIs are not errors).
func (k *KubeSource) gateOf(ctx context.Context, ns, sa, experiment string) *GateFact {
	if k.Dynamic == nil {
		return nil
	}
	chaos, err := k.listChaos(ctx, ns)
	litmusAbsent := errors.Is(err, errCRDsAbsent)
	if err != nil && !litmusAbsent {
		return &GateFact{Err: err}
	}
	var g *GateFact
	argo, aerr := k.listArgo(ctx, ns)
	switch {
	case errors.Is(aerr, errArgoAbsent):
		g = gateFactOf(chaos, nil, sa, experiment)
		g.ArgoAbsent = true
	case aerr != nil:
		g = gateFactOf(chaos, nil, sa, experiment)
		g.ArgoErr = aerr
	default:
		g = gateFactOf(chaos, argo, sa, experiment)
	}
	g.LitmusAbsent = litmusAbsent
	return g
}
