package sandbox

import (
	"context"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// nodePodEnv is what the webhook adds to every node pod (loopbackPod): the
// apiserver's loopback address for in-cluster config, the STS front for every
// AWS endpoint, and IMDS on loopback (the mock, or a closed port when blocked).
func (s *Sandbox) nodePodEnv() []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "KUBERNETES_SERVICE_HOST", Value: "127.0.0.1"},
		{Name: "KUBERNETES_SERVICE_PORT", Value: strconv.Itoa(s.cp.Port())},
	}
	for _, name := range awsemu.EndpointVars {
		env = append(env, corev1.EnvVar{Name: name, Value: s.front.URL()})
	}
	imds := s.blockedIMDS
	if w := s.World(); w != nil && w.IMDS == world.IMDSNodeRole && s.imds != nil {
		imds = s.imds.URL
	}
	return append(env,
		corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: imds},
		corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", Value: "IPv4"},
	)
}

// startNode starts the real node (package node) and waits until it is Ready.
func (s *Sandbox) startNode(ctx context.Context) error {
	for _, tok := range s.cp.ComponentTokens() {
		s.keep(tok) // the components' static tokens join the leak scans (Secrets)
	}
	s.node = node.New(filepath.Join(s.dir, "node"))
	return s.node.Start(ctx, node.Config{BinDir: s.binDir, ControlPlane: s.cp, Region: s.World().Region, PodEnv: s.nodePodEnv, PodIdentity: s.podIdentityURI})
}
