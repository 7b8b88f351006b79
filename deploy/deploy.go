// Package deploy holds podcred's Kubernetes manifests, embedded so that the
// sandbox and the tests apply exactly what ships: the admission policy that
// binds a verdict to its ServiceAccount, and the agent's Role from job.yaml
// (renamed for each ServiceAccount, never widened).
package deploy

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/pkg/verdict"
)

// Manifests holds every shipped manifest: *.yaml and examples/*.yaml.
//
//go:embed *.yaml examples/*.yaml
var Manifests embed.FS

// Names used by the shipped manifests, which users rename for their set-up.
const (
	// ExampleNamespace is the namespace every shipped manifest uses.
	ExampleNamespace = "litmus"
	// ExampleServiceAccount is the experiment ServiceAccount every shipped manifest uses.
	ExampleServiceAccount = "litmus-admin"
	// AdmissionPolicyFile is the ValidatingAdmissionPolicy manifest.
	AdmissionPolicyFile = "admission-policy.yaml"
	// JobFile is the verification Job with the agent's RBAC.
	JobFile = "job.yaml"
)

// Files lists the shipped manifest paths, sorted.
func Files() ([]string, error) {
	var out []string
	err := fs.WalkDir(Manifests, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			out = append(out, p)
		}
		return err
	})
	slices.Sort(out)
	return out, err
}

// Documents splits the manifest at name into its non-empty YAML documents.
func Documents(name string) ([][]byte, error) {
	b, err := Manifests.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, d := range bytes.Split(b, []byte("\n---")) {
		var probe map[string]any
		if err := yaml.Unmarshal(d, &probe); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(probe) > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// KindOf returns the kind of one YAML document.
func KindOf(doc []byte) string {
	var meta struct{ Kind string }
	_ = yaml.Unmarshal(doc, &meta)
	return meta.Kind
}

// AgentRBAC returns job.yaml's Role and RoleBinding for the agent's sinks,
// rewritten for ServiceAccount sa in namespace ns: the same rules, with the
// report ConfigMap name (resourceNames) and the binding's subject changed.
func AgentRBAC(ns, sa string) (*rbacv1.Role, *rbacv1.RoleBinding, error) {
	docs, err := Documents(JobFile)
	if err != nil {
		return nil, nil, err
	}
	var (
		role    rbacv1.Role
		binding rbacv1.RoleBinding
	)
	for _, d := range docs {
		switch KindOf(d) {
		case "Role":
			err = yaml.UnmarshalStrict(d, &role)
		case "RoleBinding":
			err = yaml.UnmarshalStrict(d, &binding)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", JobFile, err)
		}
	}
	if role.Name == "" || binding.Name == "" {
		return nil, nil, fmt.Errorf("%s has no Role and RoleBinding", JobFile)
	}
	rename := func(s string) string {
		return strings.Replace(s, ExampleServiceAccount, sa, 1)
	}
	role.Name, role.Namespace = rename(role.Name), ns
	for i, rule := range role.Rules {
		for j, n := range rule.ResourceNames {
			if n == verdict.ConfigMapName(ExampleServiceAccount) {
				role.Rules[i].ResourceNames[j] = verdict.ConfigMapName(sa)
			}
		}
	}
	binding.Name, binding.Namespace, binding.RoleRef.Name = rename(binding.Name), ns, role.Name
	binding.Subjects = []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: ns}}
	return &role, &binding, nil
}
