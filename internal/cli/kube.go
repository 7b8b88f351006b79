package cli

import (
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/podcred/podcred/pkg/verdict"
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

// CoreClient builds the agent's core/v1 client (verdict.NewCoreClient) from
// RESTConfig. It does not link client-go's typed clients, which halves the
// agent's binary.
func CoreClient(kubeconfig, context string) (verdict.CoreClient, error) {
	cfg, err := RESTConfig(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	return verdict.NewCoreClient(cfg)
}
