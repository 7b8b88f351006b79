package preflight

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Argo kinds (argoproj.io/v1alpha1) that experiment.gate reads.
const (
	kindWorkflow         = "Workflow"
	kindWorkflowTemplate = "WorkflowTemplate"
)

// gateFactOf builds the gate facts from listed objects: the ChaosEngines that
// run as sa (and, when experiment is set, run it) and every workflow.
func gateFactOf(engines, workflows []unstructured.Unstructured, sa, experiment string) *GateFact {
	g := &GateFact{}
	for i := range engines {
		if engines[i].GetKind() != kindChaosEngine {
			continue
		}
		e := gateEngine(engines[i].Object, engines[i].GetName())
		if e.runs(sa, experiment) {
			g.Engines = append(g.Engines, e)
		}
	}
	for i := range workflows {
		g.Workflows = append(g.Workflows, gateWorkflow(workflows[i].Object, sa, experiment))
	}
	return g
}

// runs reports whether the engine runs as sa and, when set, runs experiment.
func (e GateEngine) runs(sa, experiment string) bool {
	if e.ServiceAccount != sa {
		return false
	}
	return experiment == "" || slices.ContainsFunc(e.Experiments, func(x GateExperiment) bool { return x.Name == experiment })
}

// gateEngine reads a ChaosEngine's experiments and probes.
func gateEngine(obj map[string]any, name string) GateEngine {
	e := GateEngine{Name: name}
	if e.Name == "" {
		e.Name, _, _ = unstructured.NestedString(obj, "metadata", "generateName")
	}
	e.ServiceAccount, _, _ = unstructured.NestedString(obj, "spec", "chaosServiceAccount")
	e.Workflow, _, _ = unstructured.NestedString(obj, "metadata", "labels", "workflow_name")
	exps, _, _ := unstructured.NestedSlice(obj, "spec", "experiments")
	for i, x := range exps {
		xm, ok := x.(map[string]any)
		if !ok {
			continue
		}
		ge := GateExperiment{Path: fmt.Sprintf("/spec/experiments/%d", i)}
		ge.Name, _, _ = unstructured.NestedString(xm, "name")
		probes, found, _ := unstructured.NestedSlice(xm, "spec", "probe")
		ge.HasProbeList = found
		for j, p := range probes {
			if pm, ok := p.(map[string]any); ok {
				ge.Probes = append(ge.Probes, gateProbe(pm, fmt.Sprintf("%s/spec/probe/%d", ge.Path, j)))
			}
		}
		e.Experiments = append(e.Experiments, ge)
	}
	return e
}

// gateProbe reads one probe. Values of the wrong type read as unset.
func gateProbe(m map[string]any, path string) GateProbe {
	p := GateProbe{Path: path, Raw: m}
	p.Name, _, _ = unstructured.NestedString(m, "name")
	p.Type, _, _ = unstructured.NestedString(m, "type")
	p.Mode, _, _ = unstructured.NestedString(m, "mode")
	_, p.HasRunProperties, _ = unstructured.NestedMap(m, "runProperties")
	if v, ok := nested(m, "runProperties", "stopOnFailure"); ok {
		p.HasStopOnFailure = true
		p.StopOnFailure, _ = v.(bool)
	}
	if in, ok, _ := unstructured.NestedMap(m, "k8sProbe/inputs"); ok {
		k := &K8sProbeInputs{}
		for field, dst := range map[string]*string{"group": &k.Group, "version": &k.Version, "resource": &k.Resource,
			"namespace": &k.Namespace, "fieldSelector": &k.FieldSelector, "labelSelector": &k.LabelSelector, "operation": &k.Operation} {
			*dst, _, _ = unstructured.NestedString(in, field)
		}
		if v, ok := in["resourceNames"]; ok && v != nil && v != "" {
			k.ResourceNames = fmt.Sprint(v)
		}
		p.K8s = k
	}
	p.Command, _, _ = unstructured.NestedString(m, "cmdProbe/inputs", "command")
	return p
}

// nested returns m[k0][k1]... without copying.
func nested(m map[string]any, keys ...string) (any, bool) {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// gateWorkflow reads a Workflow or WorkflowTemplate: its templates' containers,
// step groups, and the ChaosEngines they create that run as sa.
func gateWorkflow(obj map[string]any, sa, experiment string) GateWorkflow {
	w := GateWorkflow{}
	w.Kind, _, _ = unstructured.NestedString(obj, "kind")
	w.Name, _, _ = unstructured.NestedString(obj, "metadata", "name")
	w.ServiceAccount, _, _ = unstructured.NestedString(obj, "spec", "serviceAccountName")
	w.Entrypoint, _, _ = unstructured.NestedString(obj, "spec", "entrypoint")
	params := workflowParams(obj)
	templates, _, _ := unstructured.NestedSlice(obj, "spec", "templates")
	for _, t := range templates {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		wt := WorkflowTemplate{}
		wt.Name, _, _ = unstructured.NestedString(tm, "name")
		wt.ServiceAccount, _, _ = unstructured.NestedString(tm, "serviceAccountName")
		if c, ok, _ := unstructured.NestedMap(tm, "container"); ok {
			wc := workflowContainer(c)
			wt.Container = &wc
		}
		inits, _, _ := unstructured.NestedSlice(tm, "initContainers")
		for _, c := range inits {
			if cm, ok := c.(map[string]any); ok {
				wt.InitContainers = append(wt.InitContainers, workflowContainer(cm))
			}
		}
		wt.Steps = workflowSteps(tm)
		wt.Engines, wt.Artifacts = embeddedEngines(tm, params, sa, experiment)
		w.Templates = append(w.Templates, wt)
	}
	return w
}

func workflowContainer(c map[string]any) WorkflowContainer {
	wc := WorkflowContainer{}
	wc.Name, _, _ = unstructured.NestedString(c, "name")
	wc.Image, _, _ = unstructured.NestedString(c, "image")
	wc.Command, _, _ = unstructured.NestedStringSlice(c, "command")
	wc.Args, _, _ = unstructured.NestedStringSlice(c, "args")
	return wc
}

// workflowSteps reads a steps template's groups (steps: [[step, ...], ...]).
func workflowSteps(tm map[string]any) [][]WorkflowStep {
	groups, _, _ := unstructured.NestedSlice(tm, "steps")
	var out [][]WorkflowStep
	for _, g := range groups {
		list, _ := g.([]any)
		var group []WorkflowStep
		for _, s := range list {
			sm, ok := s.(map[string]any)
			if !ok {
				continue
			}
			ws := WorkflowStep{}
			ws.Name, _, _ = unstructured.NestedString(sm, "name")
			ws.Template, _, _ = unstructured.NestedString(sm, "template")
			ws.ContinueOnFailed, _, _ = unstructured.NestedBool(sm, "continueOn", "failed")
			group = append(group, ws)
		}
		out = append(out, group)
	}
	return out
}

var workflowParamRef = regexp.MustCompile(`\{\{\s*workflow\.parameters\.([A-Za-z0-9_.-]+)\s*\}\}`)

// workflowParams returns the workflow's spec.arguments.parameters by name.
func workflowParams(obj map[string]any) map[string]string {
	out := map[string]string{}
	list, _, _ := unstructured.NestedSlice(obj, "spec", "arguments", "parameters")
	for _, p := range list {
		if pm, ok := p.(map[string]any); ok {
			name, _, _ := unstructured.NestedString(pm, "name")
			value, _, _ := unstructured.NestedString(pm, "value")
			out[name] = value
		}
	}
	return out
}

// embeddedEngines decodes the template's raw input artifacts and resource
// manifest; the ChaosEngines among them that run as sa are returned with
// where each came from. {{workflow.parameters.X}} is filled in first.
func embeddedEngines(tm map[string]any, params map[string]string, sa, experiment string) ([]GateEngine, []string) {
	type source struct{ where, data string }
	var sources []source
	arts, _, _ := unstructured.NestedSlice(tm, "inputs", "artifacts")
	for _, a := range arts {
		am, ok := a.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(am, "name")
		if data, ok, _ := unstructured.NestedString(am, "raw", "data"); ok {
			sources = append(sources, source{"artifact " + name, data})
		}
	}
	if m, ok, _ := unstructured.NestedString(tm, "resource", "manifest"); ok {
		sources = append(sources, source{"resource manifest", m})
	}
	var engines []GateEngine
	var where []string
	for _, s := range sources {
		data := workflowParamRef.ReplaceAllStringFunc(s.data, func(ref string) string {
			if v, ok := params[workflowParamRef.FindStringSubmatch(ref)[1]]; ok {
				return v
			}
			return ref
		})
		for _, doc := range splitYAMLDocs(data) {
			var obj map[string]any
			if yaml.Unmarshal([]byte(doc), &obj) != nil || obj["kind"] != kindChaosEngine {
				continue
			}
			name, _, _ := unstructured.NestedString(obj, "metadata", "name")
			if e := gateEngine(obj, name); e.runs(sa, experiment) {
				engines, where = append(engines, e), append(where, s.where)
			}
		}
	}
	return engines, where
}

// splitYAMLDocs splits a multi-document YAML stream at "---" lines.
func splitYAMLDocs(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t\r") == "---" {
			docs, cur = append(docs, strings.Join(cur, "\n")), nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}
