package cli

import (
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeTimeout bounds every Kubernetes API request made by podcred's clients.
const KubeTimeout = 15 * time.Second

// RESTConfig returns the client configuration: the kubeconfig when given
// (also KUBECONFIG), in-cluster configuration otherwise.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	if kubeconfig == "" && context == "" {
		if cfg, err = rest.InClusterConfig(); err == nil {
			cfg.Timeout = KubeTimeout
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("no Kubernetes configuration (not in a cluster, and no usable kubeconfig): %w", err)
	}
	cfg.Timeout = KubeTimeout
	return cfg, nil
}

// CoreClient builds a core/v1 client from RESTConfig. The agent needs nothing
// else, and linking only this client keeps its binary small.
func CoreClient(kubeconfig, context string) (corev1client.CoreV1Interface, error) {
	cfg, err := RESTConfig(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	return corev1client.NewForConfig(cfg)
}

// KubeClient builds a full clientset from RESTConfig (for podcred-preflight).
func KubeClient(kubeconfig, context string) (kubernetes.Interface, error) {
	cfg, err := RESTConfig(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}
