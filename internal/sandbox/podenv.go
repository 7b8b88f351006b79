package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
)

// PodEnvOptions change what AgentEnv-like helpers produce.
type PodEnvOptions struct {
	// IMDS overrides the world's IMDS mode.
	IMDS world.IMDSMode
	// ExpiredToken writes a validly signed token that expired an hour ago in place of the STS token.
	ExpiredToken bool
	// Extra adds (or overrides) variables.
	Extra map[string]string
}

// MintToken writes a token for ns/sa, bound to pod (its name and UID) when pod
// is not empty, for audience, valid for ttl (at least MinTokenTTL) — what the
// kubelet projects. The file is 0600 under the sandbox directory:
// <dir>/tokens/<ns>/<sa>/<pod>/token for sts.amazonaws.com, token-<audience> otherwise.
func (s *Sandbox) MintToken(ctx context.Context, ns, sa, pod, audience string, ttl time.Duration) (string, error) {
	tok, err := s.requestToken(ctx, ns, sa, pod, audience, ttl)
	if err != nil {
		return "", err
	}
	name := "token"
	if audience != podiam.DefaultAudience {
		name = "token-" + strings.ToLower(envName(audience))
	}
	path := filepath.Join(s.dir, "tokens", ns, sa, orNone(pod), name)
	return path, writeSecretFile(path, []byte(tok))
}

// MintExpiredToken writes a token for ns/sa bound to pod that is valid in every
// way — issuer, kid, signature by the cluster's key, audience, subject, pod
// claims — except that it expired `ago` ago. The TokenRequest API cannot mint
// one (its minimum lifetime is 10 minutes), so the sandbox signs it with the
// service-account key it generated. The file is <dir>/tokens/<ns>/<sa>/<pod>/token-expired.
func (s *Sandbox) MintExpiredToken(ctx context.Context, ns, sa, pod, audience string, ago time.Duration) (string, error) {
	tok, err := s.requestToken(ctx, ns, sa, pod, audience, controlplane.MinTokenTTL)
	if err != nil {
		return "", err
	}
	expired, err := s.expireToken(tok, ago)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.dir, "tokens", ns, sa, orNone(pod), "token-expired")
	return path, writeSecretFile(path, []byte(expired))
}

// AgentEnv is the environment of pod ns/pod (ServiceAccount sa) as an IRSA-injected
// container would see it, ready for exec.Cmd.Env: the pod's own variables (what the
// webhook injected: AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_REGION,
// AWS_STS_REGIONAL_ENDPOINTS, ...; downward-API and secret references resolved),
// with the token volume and mounted secrets written under the sandbox directory
// and paths rewritten to them, plus POD_NAME, POD_NAMESPACE, POD_UID, HOSTNAME, an
// empty HOME, AWS_ENDPOINT_URL (the front), KUBECONFIG (authenticating as the SA
// with a token bound to the pod, so RBAC applies) and AWS_EC2_METADATA_SERVICE_ENDPOINT
// (the IMDS mock, or a closed loopback port when blocked). It never holds the
// admin's AWS keys. With pod empty, a pod "podcred-verify-<sa>" is created for the SA
// (injected, like a verification Job's pod).
func (s *Sandbox) AgentEnv(ctx context.Context, ns, sa, pod string) ([]string, error) {
	return s.PodEnv(ctx, ns, sa, pod, PodEnvOptions{})
}

// ScenarioEnv is AgentEnv for a world scenario, with its IMDS mode, extra
// variables and expired token applied. The scenario's Args go to the agent's command line.
func (s *Sandbox) ScenarioEnv(ctx context.Context, sc world.Scenario) ([]string, error) {
	return s.PodEnv(ctx, sc.Namespace, sc.ServiceAccount, sc.Pod, PodEnvOptions{IMDS: sc.IMDS, ExpiredToken: sc.Token == "expired", Extra: sc.Env})
}

// PodEnv is AgentEnv with options.
func (s *Sandbox) PodEnv(ctx context.Context, ns, sa, pod string, opts PodEnvOptions) ([]string, error) {
	p, err := s.agentPod(ctx, ns, sa, pod)
	if err != nil {
		return nil, err
	}
	k := &kubelet{s: s, pod: p, root: filepath.Join(s.dir, "pods", ns, p.Name)}
	if err := k.materialize(ctx, opts.ExpiredToken); err != nil {
		return nil, err
	}
	vars, err := k.env(ctx)
	if err != nil {
		return nil, err
	}
	mode := s.World().IMDS
	if opts.IMDS != "" {
		mode = opts.IMDS
	}
	imds := s.blockedIMDS
	if mode == world.IMDSNodeRole && s.imds != nil {
		imds = s.imds.URL
	}
	kubeconfig := filepath.Join(k.root, "kubeconfig")
	if err := s.writePodKubeconfig(ctx, kubeconfig, p); err != nil {
		return nil, err
	}
	home := filepath.Join(k.root, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	set := func(name, value string) {
		for i, kv := range vars {
			if strings.HasPrefix(kv, name+"=") {
				vars[i] = name + "=" + value
				return
			}
		}
		vars = append(vars, name+"="+value)
	}
	setDefault := func(name, value string) {
		if !hasVar(vars, name) {
			vars = append(vars, name+"="+value)
		}
	}
	setDefault("POD_NAME", p.Name)
	setDefault("POD_NAMESPACE", p.Namespace)
	setDefault("POD_UID", string(p.UID))
	setDefault("POD_SERVICE_ACCOUNT", p.Spec.ServiceAccountName)
	set("HOSTNAME", p.Name)
	set("HOME", home)
	set("PATH", "/usr/local/bin:/usr/bin:/bin")
	for _, name := range awsemu.EndpointVars {
		set(name, s.front.URL())
	}
	set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
	set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4")
	set("KUBECONFIG", kubeconfig)
	for name, value := range opts.Extra {
		set(name, value)
	}
	return vars, nil
}

// agentPod returns the pod to act as; an empty name makes (or reuses) podcred-verify-<sa>.
func (s *Sandbox) agentPod(ctx context.Context, ns, sa, pod string) (*corev1.Pod, error) {
	pods := s.cp.Client.CoreV1().Pods(ns)
	if pod != "" {
		p, err := pods.Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: %w", ns, pod, err)
		}
		if sa != "" && p.Spec.ServiceAccountName != sa {
			return nil, fmt.Errorf("pod %s/%s runs as serviceaccount %q, not %q", ns, pod, p.Spec.ServiceAccountName, sa)
		}
		return p, nil
	}
	name := "podcred-verify-" + sa
	if p, err := pods.Get(ctx, name, metav1.GetOptions{}); err == nil {
		return p, nil
	} else if !apierrors.IsNotFound(err) {
		return nil, err
	}
	acct, err := s.cp.Client.CoreV1().ServiceAccounts(ns).Get(ctx, sa, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("serviceaccount %s/%s: %w", ns, sa, err)
	}
	nonRoot, uid := true, int64(65532)
	return s.kube.createPod(ctx, ns, world.Pod{
		Name: name, ServiceAccount: sa, FSGroup: &uid, RunAsUser: &uid, RunAsNonRoot: &nonRoot,
		Labels: map[string]string{"app.kubernetes.io/name": "podcred-agent"},
	}, acct)
}

// writePodKubeconfig writes a kubeconfig authenticating as the pod's
// ServiceAccount with a token bound to the pod (the apiserver's audiences).
func (s *Sandbox) writePodKubeconfig(ctx context.Context, path string, p *corev1.Pod) error {
	tok, err := s.requestToken(ctx, p.Namespace, p.Spec.ServiceAccountName, p.Name, "", time.Hour)
	if err != nil {
		return err
	}
	user := "system:serviceaccount:" + p.Namespace + ":" + p.Spec.ServiceAccountName
	return controlplane.WriteKubeconfig(path, s.cp.URL, s.cp.CAPEM, user, tok, p.Namespace)
}

// hasVar reports whether vars (NAME=value) set name.
func hasVar(vars []string, name string) bool {
	for _, kv := range vars {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// orNone names the directory of tokens bound to no pod.
func orNone(s string) string {
	if s == "" {
		return "_unbound"
	}
	return s
}
