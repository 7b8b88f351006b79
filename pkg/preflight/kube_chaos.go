package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Litmus kinds and their resources (litmuschaos.io/v1alpha1).
const (
	kindChaosExperiment = "ChaosExperiment"
	kindChaosEngine     = "ChaosEngine"
)

var (
	chaosExperimentsGVR = schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosexperiments"}
	chaosEnginesGVR     = schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosengines"}
)

// listChaos lists a namespace's ChaosExperiments and ChaosEngines once.
// errCRDsAbsent reports that the Litmus CRDs are not installed.
func (k *KubeSource) listChaos(ctx context.Context, ns string) ([]unstructured.Unstructured, error) {
	return k.chaos.do(ns, func() ([]unstructured.Unstructured, error) {
		var out []unstructured.Unstructured
		for _, gvr := range []schema.GroupVersionResource{chaosExperimentsGVR, chaosEnginesGVR} {
			cctx, cancel := context.WithTimeout(ctx, k.timeout())
			l, err := k.Dynamic.Resource(gvr).Namespace(ns).List(cctx, metav1.ListOptions{})
			cancel()
			if err != nil {
				if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
					return nil, errCRDsAbsent
				}
				return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
			}
			out = append(out, l.Items...)
		}
		return out, nil
	})
}

var errCRDsAbsent = fmt.Errorf("litmuschaos.io/v1alpha1 CRDs are not installed")

// chaosOf returns the chaos objects that concern the ServiceAccount: every
// ChaosExperiment of the namespace (or only `experiment`) and the
// ChaosEngines that run as the ServiceAccount (or run `experiment`).
func (k *KubeSource) chaosOf(ctx context.Context, ns, sa, experiment string) *ChaosFact {
	if k.Dynamic == nil {
		return nil
	}
	items, err := k.listChaos(ctx, ns)
	switch {
	case err == errCRDsAbsent:
		return &ChaosFact{CRDsAbsent: true}
	case err != nil:
		return &ChaosFact{Err: err}
	}
	return chaosFactOf(items, sa, experiment)
}

// chaosFactOf keeps the chaos objects that concern the ServiceAccount.
func chaosFactOf(items []unstructured.Unstructured, sa, experiment string) *ChaosFact {
	cf := &ChaosFact{}
	foundExperiment := false
	for i := range items {
		o := chaosObject(&items[i])
		switch o.Kind {
		case kindChaosExperiment:
			if experiment != "" && o.Name != experiment {
				continue
			}
			foundExperiment = foundExperiment || o.Name == experiment
		case kindChaosEngine:
			runs := experiment != "" && slices.Contains(o.Experiments, experiment)
			if !runs && (experiment != "" || (o.ServiceAccount != sa && o.ServiceAccount != "")) {
				continue
			}
		default:
			continue
		}
		cf.Objects = append(cf.Objects, o)
	}
	if experiment != "" && !foundExperiment {
		cf.MissingExperiment = experiment
	}
	return cf
}

// chaosObject reads env and secrets from a ChaosExperiment
// (spec.definition) or a ChaosEngine (spec.experiments[].spec.components).
func chaosObject(u *unstructured.Unstructured) ChaosObject {
	o := ChaosObject{Kind: u.GetKind(), Name: u.GetName()}
	switch o.Kind {
	case kindChaosExperiment:
		o.Experiments = append(o.Experiments, o.Name)
		def, _, _ := unstructured.NestedMap(u.Object, "spec", "definition")
		if args, _, _ := unstructured.NestedStringSlice(def, "args"); len(args) > 0 {
			if name := runnerExperimentName(strings.Join(args, " ")); name != "" && name != o.Name {
				o.Experiments = append(o.Experiments, name)
			}
		}
		o.Env, o.Secrets = envAndSecrets(def, "/spec/definition")
	case kindChaosEngine:
		o.ServiceAccount, _, _ = unstructured.NestedString(u.Object, "spec", "chaosServiceAccount")
		exps, _, _ := unstructured.NestedSlice(u.Object, "spec", "experiments")
		for i, e := range exps {
			em, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if name, _, _ := unstructured.NestedString(em, "name"); name != "" {
				o.Experiments = append(o.Experiments, name)
			}
			comp, _, _ := unstructured.NestedMap(em, "spec", "components")
			env, secrets := envAndSecrets(comp, fmt.Sprintf("/spec/experiments/%d/spec/components", i))
			o.Env, o.Secrets = append(o.Env, env...), append(o.Secrets, secrets...)
		}
	}
	return o
}

// runnerExperimentName finds `-name X` in a Litmus runner command line
// (`./experiments -name ec2-terminate-by-id`).
func runnerExperimentName(cmd string) string {
	f := strings.Fields(cmd)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-name" || f[i] == "--name" {
			return f[i+1]
		}
	}
	return ""
}

// envAndSecrets reads m["env"] and m["secrets"], recording JSON pointers under base.
func envAndSecrets(m map[string]any, base string) ([]ChaosEnv, []ChaosSecret) {
	var env []ChaosEnv
	var secrets []ChaosSecret
	list, _, _ := unstructured.NestedSlice(m, "env")
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(em, "name")
		ref, fromSecret, _ := unstructured.NestedMap(em, "valueFrom", "secretKeyRef")
		secretName, _, _ := unstructured.NestedString(ref, "name")
		secretKey, _, _ := unstructured.NestedString(ref, "key")
		env = append(env, ChaosEnv{Name: name, Path: fmt.Sprintf("%s/env/%d", base, i), FromSecret: fromSecret,
			SecretName: secretName, SecretKey: secretKey})
	}
	list, _, _ = unstructured.NestedSlice(m, "secrets")
	for i, s := range list {
		sm, ok := s.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(sm, "name")
		mount, _, _ := unstructured.NestedString(sm, "mountPath")
		secrets = append(secrets, ChaosSecret{Name: name, MountPath: mount, Path: fmt.Sprintf("%s/secrets/%d", base, i)})
	}
	return env, secrets
}
