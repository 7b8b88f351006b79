package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/image"
)

// Image references on the sandbox node (see package image).
const (
	// AgentImageRef is the agent image built from this repository, imported into the node.
	AgentImageRef = image.AgentRef
	// PauseImageRef is the node's pod sandbox image.
	PauseImageRef = image.PauseRef
)

// NodeBinaries are the programs the node needs in the bin directory, besides
// the control plane's: `make tools` builds the first seven, `make build` the rest.
var NodeBinaries = []string{"kubelet", "kube-controller-manager", "kube-scheduler", "containerd", "containerd-shim-runc-v2", "ctr", "cni/loopback", "podcred-agent", "podcred-preflight", "podcred-pause"}

// node is the sandbox's real node: kube-controller-manager, kube-scheduler,
// containerd (runc) and a kubelet registered as KubeletNodeName, plus the pod
// identity webhook. Every process binds 127.0.0.1 and is stopped by its PID.
type node struct {
	dir        string
	ctrd       *containerd
	kcm, sched *Proc
	kubelet    *Proc
	webhook    *podWebhook
}

// startNode starts the node and waits until its Node is Ready with both images imported.
func (s *Sandbox) startNode(ctx context.Context) (err error) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return fmt.Errorf("sandbox node: runc is missing (apt-get install -y runc): %w", err)
	}
	for _, b := range NodeBinaries {
		if _, err := os.Stat(filepath.Join(s.binDir, b)); err != nil {
			return fmt.Errorf("sandbox node: %s missing in %s: run `make tools build`", b, s.binDir)
		}
	}
	n := &node{dir: filepath.Join(s.dir, "node")}
	s.node = n
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	images := make(chan error, 1)
	go func() { images <- writeImages(s.binDir, filepath.Join(n.dir, "images")) }()
	if n.ctrd, err = startContainerd(ctx, filepath.Join(n.dir, "containerd"), s.binDir, runc); err != nil {
		return err
	}
	if err := <-images; err != nil {
		return err
	}
	for _, name := range []string{"pause.tar", "agent.tar"} {
		if err := n.ctrd.importImage(ctx, filepath.Join(n.dir, "images", name)); err != nil {
			return err
		}
	}
	cp := s.cp
	for _, tok := range cp.components {
		s.keep(tok) // the components' static tokens join the leak scans (Secrets)
	}
	if n.kcm, err = cp.startController(ctx, "kube-controller-manager", controllerManagerUser, func(kc string, port int) []string {
		return kubeControllerManagerArgs(kc, port, cp.pki)
	}); err != nil {
		return err
	}
	if n.sched, err = cp.startController(ctx, "kube-scheduler", schedulerUser, kubeSchedulerArgs); err != nil {
		return err
	}
	cert, caPEM, err := selfSignedServing("podcred-sandbox pod identity webhook")
	if err != nil {
		return err
	}
	if n.webhook, err = startPodWebhook(cp.Client, s.World().Region, s.nodePodEnv, s.podIdentityURI, cert); err != nil {
		return err
	}
	if err := registerPodWebhook(ctx, cp.Client, n.webhook.url, caPEM); err != nil {
		return err
	}
	kubeconfig, err := cp.componentKubeconfig(kubeletUser)
	if err != nil {
		return err
	}
	if n.kubelet, err = startKubelet(ctx, filepath.Join(n.dir, "kubelet"), s.binDir, cp.pki.caFile, kubeconfig, n.ctrd.socket, KubeletNodeName); err != nil {
		return err
	}
	if err := n.waitReady(ctx, s); err != nil {
		return err
	}
	return untaintNotReady(ctx, cp.Client)
}

// waitReady polls the Node until its Ready condition is True.
func (n *node) waitReady(ctx context.Context, s *Sandbox) error {
	return n.kubelet.WaitReady(ctx, 90*time.Second, func(ctx context.Context) error {
		got, err := s.cp.Client.CoreV1().Nodes().Get(ctx, KubeletNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nodeReady(got) {
			return errors.New("node not Ready: " + nodeNotReadyReason(got))
		}
		return nil
	})
}

// nodePodEnv is what the webhook adds to every node pod (loopbackPod): the
// apiserver's loopback address for in-cluster config, the STS front for every
// AWS endpoint, and IMDS on loopback (the mock, or a closed port when blocked).
func (s *Sandbox) nodePodEnv() []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "KUBERNETES_SERVICE_HOST", Value: "127.0.0.1"},
		{Name: "KUBERNETES_SERVICE_PORT", Value: strconv.Itoa(s.cp.port())},
	}
	for _, name := range EndpointVars {
		env = append(env, corev1.EnvVar{Name: name, Value: s.front.url})
	}
	imds := s.blockedIMDS
	if w := s.World(); w != nil && w.IMDS == IMDSNodeRole && s.imds != nil {
		imds = s.imds.URL
	}
	return append(env,
		corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: imds},
		corev1.EnvVar{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", Value: "IPv4"},
	)
}

// writeImages writes the agent and pause images as OCI archives into dir.
func writeImages(binDir, dir string) error {
	agent, err := image.AgentSpec(binDir)
	if err != nil {
		return err
	}
	pause, err := image.PauseSpec(filepath.Join(binDir, "podcred-pause"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, spec := range map[string]image.Spec{"agent.tar": agent, "pause.tar": pause} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		_, werr := image.Write(f, spec, runtime.GOARCH)
		if err := errors.Join(werr, f.Close()); err != nil {
			return fmt.Errorf("image %s: %w", spec.Ref, err)
		}
	}
	return nil
}

// procs are the node's processes; none when n is nil.
func (n *node) procs() []*Proc {
	if n == nil {
		return nil
	}
	var out []*Proc
	for _, p := range []*Proc{n.kcm, n.sched, n.kubelet} {
		if p != nil {
			out = append(out, p)
		}
	}
	if n.ctrd != nil {
		out = append(out, n.ctrd.proc)
	}
	return out
}
