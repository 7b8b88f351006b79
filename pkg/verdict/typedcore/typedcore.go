// Package typedcore adapts a client-go typed core/v1 client (a clientset's
// CoreV1(), or the fake clientset's in tests) to verdict.CoreClient. It lives
// apart from pkg/verdict so that the agent, which uses verdict.NewCoreClient,
// does not link client-go's typed clients.
package typedcore

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Client is a verdict.CoreClient over a typed core/v1 client.
type Client struct{ c corev1client.CoreV1Interface }

// New adapts c.
func New(c corev1client.CoreV1Interface) Client { return Client{c: c} }

// GetConfigMap gets a ConfigMap.
func (t Client) GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return t.c.ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

// CreateConfigMap creates a ConfigMap.
func (t Client) CreateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	return t.c.ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
}

// UpdateConfigMap updates a ConfigMap (optimistic concurrency on its resourceVersion).
func (t Client) UpdateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	return t.c.ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
}

// GetPod gets a pod.
func (t Client) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	return t.c.Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

// PatchPod applies a JSON merge patch to a pod.
func (t Client) PatchPod(ctx context.Context, namespace, name string, mergePatch []byte) error {
	_, err := t.c.Pods(namespace).Patch(ctx, name, types.MergePatchType, mergePatch, metav1.PatchOptions{})
	return err
}

// CreateEvent creates an Event.
func (t Client) CreateEvent(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	return t.c.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
}
