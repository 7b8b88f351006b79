package verdict

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// CoreClient is the part of the Kubernetes core/v1 API the sinks and the gate
// use. NewCoreClient implements it over REST for the agent; typedcore.New
// adapts a client-go typed client (a full clientset, or the fake one in
// tests). Errors are client-go's *errors.StatusError, so apierrors.IsNotFound
// and IsConflict work on them.
type CoreClient interface {
	GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	CreateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error)
	UpdateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error)
	// GetPod reads a pod (the gate compares a report's pod with its subject).
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	// PatchPod applies a JSON merge patch to a pod.
	PatchPod(ctx context.Context, namespace, name string, mergePatch []byte) error
	CreateEvent(ctx context.Context, ev *corev1.Event) (*corev1.Event, error)
}
