package lint

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kobj is a Kubernetes object found in a file.
type kobj struct {
	kind, name, ns string
	file           string
	root           *yaml.Node
	u              *unstructured.Unstructured
}

// ref names the object as check messages do ("ChaosEngine ec2-chaos", "pod runner").
func (o kobj) ref() string {
	if _, ok := podTemplatePath[o.kind]; ok {
		return "pod " + o.name
	}
	return o.kind + " " + o.name
}

// defaultNamespace is the namespace of objects that name none (kubectl's default).
const defaultNamespace = "default"

// kubeObjects reads the Kubernetes objects of a document (a List's items too).
func kubeObjects(d doc) ([]kobj, error) {
	if str(d.value, "apiVersion") == "" || str(d.value, "kind") == "" {
		return nil, nil
	}
	if str(d.value, "kind") == "List" {
		var out []kobj
		items, _ := d.value["items"].([]any)
		nodes := child(d.root, "items")
		for i, it := range items {
			m, ok := it.(map[string]any)
			if !ok || nodes == nil || i >= len(nodes.Content) {
				continue
			}
			objs, err := kubeObjects(doc{file: d.file, root: nodes.Content[i], value: m})
			if err != nil {
				return out, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	b, err := json.Marshal(d.value)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("%s: %w", str(d.value, "kind"), err)
	}
	name := u.GetName()
	if name == "" {
		name = u.GetGenerateName()
	}
	ns := u.GetNamespace()
	if ns == "" {
		ns = defaultNamespace
	}
	return []kobj{{kind: u.GetKind(), name: name, ns: ns, file: d.file, root: d.root, u: u}}, nil
}

// podTemplatePath is where each workload kind keeps its pod spec ("" for a Pod).
var podTemplatePath = map[string][]string{
	"Pod":         nil,
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// asPod returns the pod a workload object runs (a Pod as written, a
// workload's pod template named after the workload) and the workload to
// restart ("deployment/x"; "" for bare pods and Jobs).
func (o kobj) asPod() (*corev1.Pod, string, bool, error) {
	path, ok := podTemplatePath[o.kind]
	if !ok {
		return nil, "", false, nil
	}
	p := &corev1.Pod{}
	if path == nil {
		if err := convert(o.u.Object, p); err != nil {
			return nil, "", true, err
		}
		return p, "", true, nil
	}
	tmpl, found, err := unstructured.NestedMap(o.u.Object, path...)
	if !found || err != nil {
		return nil, "", true, fmt.Errorf("%s %s has no pod template at .%s", o.kind, o.name, strings.Join(path, "."))
	}
	var t corev1.PodTemplateSpec
	if err := convert(tmpl, &t); err != nil {
		return nil, "", true, err
	}
	p.ObjectMeta, p.Spec = t.ObjectMeta, t.Spec
	p.Name, p.Namespace = o.name, o.ns
	workload := ""
	switch o.kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		workload = strings.ToLower(o.kind) + "/" + o.name
	}
	return p, workload, true, nil
}

// convert decodes JSON-compatible data into a typed object.
func convert(in map[string]any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
