package sandbox

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
)

// defaultImage is the image of world pods that name none.
const defaultImage = "public.ecr.aws/docker/library/busybox:stable"

// kubeLoader creates a world's Kubernetes objects with the admin client.
type kubeLoader struct {
	*controlplane.Objects
	client kubernetes.Interface
	region string
	// podIdentity returns the Pod Identity agent URI for an SA with an association, else "".
	podIdentity func(ns, sa string) string
}

// newKubeLoader returns a loader using cp's admin credentials.
func newKubeLoader(cp *controlplane.ControlPlane, region string) (*kubeLoader, error) {
	objs, err := controlplane.NewObjects(cp)
	if err != nil {
		return nil, err
	}
	return &kubeLoader{Objects: objs, client: cp.Client, region: region}, nil
}

// apply creates the namespaces and their objects, then the world's extra objects.
// w must be resolved.
func (k *kubeLoader) apply(ctx context.Context, w *world.World) error {
	for _, ns := range w.Namespaces {
		if err := k.applyNamespace(ctx, w, ns); err != nil {
			return fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
	}
	if len(w.Objects) > 0 {
		if err := k.CRDsReady(ctx); err != nil { // objects may be Litmus ones
			return err
		}
	}
	for _, obj := range w.Objects {
		if err := k.Create(ctx, &unstructured.Unstructured{Object: obj}); err != nil {
			return err
		}
	}
	return nil
}

// applyNamespace creates ns and its Secrets, ServiceAccounts, RBAC, pods and chaos objects, in that order.
func (k *kubeLoader) applyNamespace(ctx context.Context, w *world.World, ns world.Namespace) error {
	_, err := k.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: controlplane.ManagedLabels()}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for _, s := range ns.Secrets {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: controlplane.ManagedLabels()}, Type: corev1.SecretTypeOpaque, StringData: s.StringData}
		if _, err := k.client.CoreV1().Secrets(ns.Name).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("secret %s: %w", s.Name, err)
		}
	}
	sas := map[string]*corev1.ServiceAccount{}
	for _, s := range ns.ServiceAccounts {
		sa := &corev1.ServiceAccount{
			ObjectMeta:                   metav1.ObjectMeta{Name: s.Name, Labels: controlplane.ManagedLabels(), Annotations: map[string]string{}},
			AutomountServiceAccountToken: s.Automount,
		}
		for key, v := range s.Annotations {
			sa.Annotations[key] = v
		}
		switch {
		case s.RoleArn != "":
			sa.Annotations[podiam.AnnotationRoleARN] = s.RoleArn
		case s.Role != "":
			sa.Annotations[podiam.AnnotationRoleARN] = awsemu.RoleARN(w.Account, s.Role)
		}
		created, err := k.client.CoreV1().ServiceAccounts(ns.Name).Create(ctx, sa, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("serviceaccount %s: %w", s.Name, err)
		}
		sas[s.Name] = created
	}
	if ns.AgentRBAC {
		if err := k.grantAgentSinks(ctx, ns); err != nil {
			return err
		}
	}
	for _, p := range ns.Pods {
		if _, err := k.createPod(ctx, ns.Name, p, sas[p.ServiceAccount]); err != nil {
			return err
		}
	}
	if len(ns.Chaos) > 0 {
		if err := k.CRDsReady(ctx); err != nil {
			return err
		}
	}
	for _, obj := range ns.Chaos {
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" {
			u.SetAPIVersion("litmuschaos.io/v1alpha1")
		}
		u.SetNamespace(ns.Name)
		if err := k.Create(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// createPod creates p bound to NodeName, injected like the pod identity webhook
// unless it predates the SA's annotation, and marks it Running.
func (k *kubeLoader) createPod(ctx context.Context, ns string, p world.Pod, sa *corev1.ServiceAccount) (*corev1.Pod, error) {
	image := p.Image
	if image == "" {
		image = defaultImage
	}
	labels := controlplane.ManagedLabels()
	for key, v := range p.Labels {
		labels[key] = v
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName: p.ServiceAccount,
			NodeName:           orDefault(p.Node, world.NodeName),
			HostNetwork:        p.HostNetwork,
			SecurityContext:    &corev1.PodSecurityContext{FSGroup: p.FSGroup, RunAsUser: p.RunAsUser, RunAsNonRoot: p.RunAsNonRoot},
			Containers: []corev1.Container{{
				Name:    "main",
				Image:   image,
				Command: []string{"sleep", "infinity"},
				Env:     append([]corev1.EnvVar(nil), p.Env...),
			}},
		},
	}
	for _, m := range p.SecretMounts {
		vol := "secret-" + m.Secret
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: m.Secret}}})
		pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: m.MountPath, ReadOnly: true})
	}
	switch uri := k.podIdentityURI(ns, p.ServiceAccount); {
	case p.CreatedBeforeAnnotation || sa == nil:
	case uri != "":
		if p.IRSAInManifest {
			node.InjectIRSA(pod, sa, k.region) // the manifest itself carries what the webhook once injected
		}
		node.InjectPodIdentity(&pod.Spec, uri, k.region) // the webhook: container credentials take precedence
	default:
		node.InjectIRSA(pod, sa, k.region)
	}
	created, err := k.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", p.Name, err)
	}
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		StartTime: &now,
		HostIP:    "10.0.1.10",
		PodIP:     "10.0.1.100",
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	started := true
	for _, c := range created.Spec.Containers {
		created.Status.ContainerStatuses = append(created.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	running, err := k.client.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("pod %s status: %w", p.Name, err)
	}
	return running, nil
}

// grantAgentSinks grants each SA of ns exactly the agent's Role that
// deploy/job.yaml ships, renamed for that SA (tests grant what ships).
func (k *kubeLoader) grantAgentSinks(ctx context.Context, ns world.Namespace) error {
	for _, sa := range ns.ServiceAccounts {
		role, binding, err := deploy.AgentRBAC(ns.Name, sa.Name)
		if err != nil {
			return err
		}
		role.Labels, binding.Labels = controlplane.ManagedLabels(), controlplane.ManagedLabels()
		if _, err := k.client.RbacV1().Roles(ns.Name).Create(ctx, role, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("role %s: %w", role.Name, err)
		}
		if _, err := k.client.RbacV1().RoleBindings(ns.Name).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("rolebinding %s: %w", binding.Name, err)
		}
	}
	return nil
}

// ensureNode creates the Node object name with providerID and extra labels.
// A Node's providerID cannot change once set (the apiserver refuses it), and
// moto gives a reloaded world's instances new IDs: a Node whose providerID
// differs is deleted and created again. (A real kubelet registering its own
// Node should be started with --provider-id from the world's node instead.)
func (k *kubeLoader) ensureNode(ctx context.Context, name, providerID string, labels map[string]string) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "topology.kubernetes.io/region": k.region, controlplane.ManagedByLabel: controlplane.ManagedByValue,
	}}, Spec: corev1.NodeSpec{ProviderID: providerID}}
	for key, v := range labels {
		node.Labels[key] = v
	}
	nodes := k.client.CoreV1().Nodes()
	if old, err := nodes.Get(ctx, name, metav1.GetOptions{}); err == nil && old.Spec.ProviderID != providerID {
		if err := nodes.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("node %s: %w", name, err)
		}
	}
	if _, err := nodes.Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("node %s: %w", name, err)
	}
	return nil
}
