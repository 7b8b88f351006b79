package verdict

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// restCore implements CoreClient with a REST client that knows only the
// core/v1 types. client-go's typed clients register every built-in API group
// through k8s.io/client-go/kubernetes/scheme, which doubles the agent's
// binary; the five calls the agent makes do not need that.
type restCore struct{ rc *rest.RESTClient }

var _ CoreClient = (*restCore)(nil)

// NewCoreClient builds a CoreClient for cfg (in-cluster or kubeconfig),
// keeping cfg's timeout, rate limits and authentication.
func NewCoreClient(cfg *rest.Config) (CoreClient, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("core/v1 scheme: %w", err)
	}
	metav1.AddToGroupVersion(scheme, corev1.SchemeGroupVersion)
	c := rest.CopyConfig(cfg)
	c.APIPath = "/api"
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	c.ContentType = runtime.ContentTypeJSON
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &restCore{rc: rc}, nil
}

func (c *restCore) GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	out := &corev1.ConfigMap{}
	err := c.rc.Get().Namespace(namespace).Resource("configmaps").Name(name).Do(ctx).Into(out)
	return out, err
}

func (c *restCore) CreateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	out := &corev1.ConfigMap{}
	err := c.rc.Post().Namespace(cm.Namespace).Resource("configmaps").Body(cm).Do(ctx).Into(out)
	return out, err
}

func (c *restCore) UpdateConfigMap(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
	out := &corev1.ConfigMap{}
	err := c.rc.Put().Namespace(cm.Namespace).Resource("configmaps").Name(cm.Name).Body(cm).Do(ctx).Into(out)
	return out, err
}

func (c *restCore) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	err := c.rc.Get().Namespace(namespace).Resource("pods").Name(name).Do(ctx).Into(out)
	return out, err
}

func (c *restCore) PatchPod(ctx context.Context, namespace, name string, mergePatch []byte) error {
	return c.rc.Patch(types.MergePatchType).Namespace(namespace).Resource("pods").Name(name).Body(mergePatch).Do(ctx).Error()
}

func (c *restCore) CreateEvent(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	out := &corev1.Event{}
	err := c.rc.Post().Namespace(ev.Namespace).Resource("events").Body(ev).Do(ctx).Into(out)
	return out, err
}
