package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/internal/sandbox/proc"
)

// installAdmissionPolicy applies deploy/admission-policy.yaml as shipped (the
// ValidatingAdmissionPolicies that let only a verdict's ServiceAccount write
// it) and waits until the apiserver enforces it: a policy takes effect about
// a second after its binding is created, and until then a forged verdict
// would be admitted.
func (k *Objects) installAdmissionPolicy(ctx context.Context, cfg *rest.Config) error {
	docs, err := deploy.Documents(deploy.AdmissionPolicyFile)
	if err != nil {
		return err
	}
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d, &u.Object); err != nil {
			return fmt.Errorf("%s: %w", deploy.AdmissionPolicyFile, err)
		}
		ri, err := k.Resource(u)
		if err != nil {
			return err
		}
		if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return k.waitPolicyEnforced(ctx, cfg)
}

// AdmissionProbeUser is who waitPolicyEnforced impersonates (tests use it too): bound to the
// bootstrapped cluster-admin ClusterRole ("edit" is aggregated by
// kube-controller-manager, which may not run), so allowed by RBAC
// to create ConfigMaps (so that only admission can refuse), and neither a
// cluster admin nor the owner of the verdict it tries to write.
const AdmissionProbeUser = "podcred-sandbox:policy-probe"

// waitPolicyEnforced polls, with a server-side dry run, until a forged write
// of a ServiceAccount's verdict ConfigMap is refused.
func (k *Objects) waitPolicyEnforced(ctx context.Context, cfg *rest.Config) error {
	grant := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "podcred-sandbox-policy-probe", Labels: ManagedLabels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: AdmissionProbeUser}},
	}
	if _, err := k.client.RbacV1().ClusterRoleBindings().Create(ctx, grant, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("clusterrolebinding %s: %w", grant.Name, err)
	}
	forger := rest.CopyConfig(cfg)
	forger.Impersonate = rest.ImpersonationConfig{UserName: AdmissionProbeUser}
	c, err := kubernetes.NewForConfig(forger)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "podcred-someone-else", Namespace: metav1.NamespaceDefault}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, err := c.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "ValidatingAdmissionPolicy") {
			return nil
		}
		if err == nil {
			err = errors.New("a forged verdict ConfigMap is still admitted")
		}
		if werr := proc.Sleep(ctx, 50*time.Millisecond); werr != nil {
			return fmt.Errorf("admission policy not enforced: %w (%v)", werr, err)
		}
	}
}
