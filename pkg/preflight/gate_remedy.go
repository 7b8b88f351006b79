package preflight

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// jsonPatchOp is one RFC 6902 operation.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// jsonPatch is the kubectl command applying ops to an object of the namespace.
func (f Facts) jsonPatch(kind, name string, ops []jsonPatchOp) string {
	b, _ := json.Marshal(ops)
	return fmt.Sprintf("kubectl -n %s patch %s %s --type=json -p='%s'", f.Namespace, strings.ToLower(kind), name, b)
}

// pointerToken escapes a JSON-pointer reference token (RFC 6901).
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// ops turns a probe's fixes into patch operations.
func (r probeRepair) ops() []jsonPatchOp {
	var out []jsonPatchOp
	for _, x := range r.j.fixes {
		var toks []string
		for _, t := range x.tokens {
			toks = append(toks, pointerToken(t))
		}
		op := jsonPatchOp{Op: "add", Path: r.probe.Path + "/" + strings.Join(toks, "/"), Value: x.value}
		switch {
		case x.remove:
			op.Op, op.Value = "remove", nil
		case x.exists:
			op.Op = "replace"
		}
		out = append(out, op)
	}
	return out
}

// fixed is the probe with its fixes applied.
func (r probeRepair) fixed() map[string]any {
	m := deepCopyJSON(r.probe.Raw)
	for _, x := range r.j.fixes {
		cur := m
		for _, t := range x.tokens[:len(x.tokens)-1] {
			next, ok := cur[t].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[t] = next
			}
			cur = next
		}
		last := x.tokens[len(x.tokens)-1]
		if x.remove {
			delete(cur, last)
		} else {
			cur[last] = x.value
		}
	}
	return m
}

func deepCopyJSON(m map[string]any) map[string]any {
	out := map[string]any{}
	if b, err := json.Marshal(m); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

// probeYAML renders probes as the items of a spec.probe list.
func probeYAML(probes ...map[string]any) string {
	b, err := yaml.Marshal(probes)
	if err != nil {
		return ""
	}
	return string(b)
}

// repairText is the corrected YAML of broken probes, and what no patch fixes.
func repairText(repairs []probeRepair) string {
	var fixed []map[string]any
	var manual []string
	for _, r := range repairs {
		fixed = append(fixed, r.fixed())
		manual = append(manual, r.j.manual...)
	}
	s := "the corrected probes:\n" + probeYAML(fixed...)
	if len(manual) > 0 {
		s += "and: " + strings.Join(manual, "; ") + "\n"
	}
	return s
}

// engineRepair is the patch that makes a stored engine's podcred probes stop
// chaos, then the corrected probes' YAML.
func (f Facts) engineRepair(e GateEngine, repairs []probeRepair) string {
	var ops []jsonPatchOp
	for _, r := range repairs {
		ops = append(ops, r.ops()...)
	}
	return f.jsonPatch(kindChaosEngine, e.Name, ops) + "\n" + repairText(repairs)
}

// embeddedRepair says how to fix the probes of an engine a workflow creates.
func embeddedRepair(where string, repairs []probeRepair) string {
	return "in " + where + ", replace each probe with its corrected form; " + repairText(repairs)
}

// addProbePatch is the patch adding a podcred k8sProbe to every experiment
// without a podcred gate, then the probe's YAML.
func (f Facts) addProbePatch(e GateEngine, ungated []GateExperiment) string {
	probe := gateProbeTemplate(f.Namespace, f.ServiceAccount)
	var ops []jsonPatchOp
	for _, x := range ungated {
		if x.HasProbeList {
			ops = append(ops, jsonPatchOp{Op: "add", Path: x.Path + "/spec/probe/-", Value: probe})
		} else {
			ops = append(ops, jsonPatchOp{Op: "add", Path: x.Path + "/spec/probe", Value: []any{probe}})
		}
	}
	return f.jsonPatch(kindChaosEngine, e.Name, ops) + "\nthe probe added:\n" + probeYAML(probe)
}
