package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/pkg/credcheck"
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

// KubeSource reads what preflight needs from Kubernetes. Namespace-wide
// lists (pods, chaos objects) are read once per namespace and shared by
// every ServiceAccount checked with the same KubeSource, as audit does.
type KubeSource struct {
	Client kubernetes.Interface
	// Dynamic reads the Litmus CRs and Argo workflows; nil skips the experiment checks.
	Dynamic dynamic.Interface
	// Timeout bounds each API call (default credcheck.DefaultCallTimeout).
	Timeout time.Duration

	pods    memo[[]corev1.Pod]
	chaos   memo[[]unstructured.Unstructured]
	argo    memo[[]unstructured.Unstructured]
	nodes   memo[*NodesFact]
	secrets memo[SecretFact]
}

// NewKubeSource returns a KubeSource for the clients.
func NewKubeSource(c kubernetes.Interface, d dynamic.Interface) *KubeSource {
	return &KubeSource{Client: c, Dynamic: d}
}

func (k *KubeSource) timeout() time.Duration {
	if k.Timeout <= 0 {
		return credcheck.DefaultCallTimeout
	}
	return k.Timeout
}

// serviceAccount reads the SA and its role annotation.
func (k *KubeSource) serviceAccount(ctx context.Context, ns, name string) SAFact {
	cctx, cancel := context.WithTimeout(ctx, k.timeout())
	defer cancel()
	sa, err := k.Client.CoreV1().ServiceAccounts(ns).Get(cctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return SAFact{}
	case err != nil:
		return SAFact{Err: err}
	}
	return saFact(sa)
}

// saFact reduces a ServiceAccount to what the checks need.
func saFact(sa *corev1.ServiceAccount) SAFact {
	f := SAFact{Found: true}
	f.RoleARN, f.HasRoleAnnotation = sa.Annotations[AnnotationRoleARN]
	f.Audience = sa.Annotations[AnnotationAudience]
	f.AnnotatedAt = annotationTime(sa.ManagedFields, AnnotationRoleARN)
	return f
}

// annotationTime is when an annotation was last written, from the managed
// fields of the manager that owns it; zero when unknown.
func annotationTime(fields []metav1.ManagedFieldsEntry, key string) time.Time {
	var t time.Time
	needle := `"f:` + key + `"`
	for _, mf := range fields {
		if mf.FieldsV1 == nil || mf.Time == nil || !strings.Contains(string(mf.FieldsV1.Raw), needle) {
			continue
		}
		if mf.Time.After(t) {
			t = mf.Time.Time
		}
	}
	return t
}

// listPods lists a namespace's pods once.
func (k *KubeSource) listPods(ctx context.Context, ns string) ([]corev1.Pod, error) {
	return k.pods.do(ns, func() ([]corev1.Pod, error) {
		cctx, cancel := context.WithTimeout(ctx, k.timeout())
		defer cancel()
		l, err := k.Client.CoreV1().Pods(ns).List(cctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return l.Items, nil
	})
}

// podsOf returns the pods of the ServiceAccount.
func (k *KubeSource) podsOf(ctx context.Context, ns, sa string) *PodsFact {
	all, err := k.listPods(ctx, ns)
	if err != nil {
		return &PodsFact{Err: err}
	}
	pf := &PodsFact{}
	for i := range all {
		p := &all[i]
		name := p.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		// The verification Job's own pod is podcred's, not the experiment's.
		if name == sa && p.Labels["app.kubernetes.io/component"] != "verification-job" {
			pf.Pods = append(pf.Pods, podFact(p))
		}
	}
	return pf
}

// podFact reduces a pod to what the checks need.
func podFact(p *corev1.Pod) PodFact {
	pf := PodFact{Name: p.Name, CreatedAt: p.CreationTimestamp.Time, Phase: string(p.Status.Phase), Workload: workloadOf(p),
		Node: p.Spec.NodeName, HostNetwork: p.Spec.HostNetwork, SecretRefs: podSecretRefs(p)}
	var podUser *int64
	var podNonRoot *bool
	if sc := p.Spec.SecurityContext; sc != nil {
		pf.FSGroup, podUser, podNonRoot = sc.FSGroup, sc.RunAsUser, sc.RunAsNonRoot
	}
	containers := append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range containers {
		cf := ContainerFact{Name: c.Name}
		for _, e := range c.Env {
			switch {
			case e.Name == credcheck.EnvRoleARN:
				cf.RoleARN = e.Value
			case e.Name == credcheck.EnvTokenFile:
				cf.TokenFile = e.Value
			case isStaticKeyVar(e.Name):
				cf.StaticKeys = append(cf.StaticKeys, e.Name)
			}
		}
		dir := EKSTokenPath[:strings.LastIndex(EKSTokenPath, "/")]
		if cf.TokenFile != "" {
			dir = cf.TokenFile[:max(strings.LastIndex(cf.TokenFile, "/"), 0)]
		}
		for _, m := range c.VolumeMounts {
			if strings.TrimSuffix(m.MountPath, "/") == dir {
				cf.TokenMounted = true
			}
		}
		user, nonRoot := podUser, podNonRoot
		if sc := c.SecurityContext; sc != nil {
			if sc.RunAsUser != nil {
				user = sc.RunAsUser
			}
			if sc.RunAsNonRoot != nil {
				nonRoot = sc.RunAsNonRoot
			}
		}
		cf.NonRoot = (user != nil && *user != 0) || (user == nil && nonRoot != nil && *nonRoot)
		pf.Containers = append(pf.Containers, cf)
	}
	return pf
}

// workloadOf names the workload to restart for a pod: its Deployment (from
// the ReplicaSet name and pod-template-hash), StatefulSet or DaemonSet.
func workloadOf(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		switch o.Kind {
		case "ReplicaSet":
			if h := p.Labels["pod-template-hash"]; h != "" && strings.HasSuffix(o.Name, "-"+h) {
				return "deployment/" + strings.TrimSuffix(o.Name, "-"+h)
			}
			return "replicaset/" + o.Name
		case "StatefulSet", "DaemonSet":
			return strings.ToLower(o.Kind) + "/" + o.Name
		}
	}
	return ""
}

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
