package preflight

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
)

// KubeSource reads what preflight needs from Kubernetes. Namespace-wide
// lists (pods, chaos objects) are read once per namespace, each Secret once,
// and the cluster's nodes (with their instances' metadata options) once, and
// shared by every ServiceAccount checked with the same KubeSource, as audit does.
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
	f.RoleARN, f.HasRoleAnnotation = sa.Annotations[podiam.AnnotationRoleARN]
	f.Audience = sa.Annotations[podiam.AnnotationAudience]
	f.AnnotatedAt = annotationTime(sa.ManagedFields, podiam.AnnotationRoleARN)
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
			case e.Name == podiam.EnvRoleARN:
				cf.RoleARN = e.Value
			case e.Name == podiam.EnvTokenFile:
				cf.TokenFile = e.Value
			case isStaticKeyVar(e.Name):
				cf.StaticKeys = append(cf.StaticKeys, e.Name)
			}
		}
		dir := podiam.TokenDir
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
		cf.PodIdentity = containerPodIdentity(c)
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
