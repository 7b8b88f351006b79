package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/image"
	"github.com/podcred/podcred/internal/sandbox/proc"
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

// Node is the sandbox's real node: kube-controller-manager, kube-scheduler,
// containerd (runc) and a kubelet registered as KubeletNodeName, plus the pod
// identity webhook. Every process binds 127.0.0.1 and is stopped by its PID.
type Node struct {
	dir        string
	cp         *controlplane.ControlPlane
	ctrd       *containerd
	kcm, sched *proc.Proc
	kubelet    *proc.Proc
	webhook    *podWebhook
}

// Config is what Start needs from the sandbox.
type Config struct {
	// BinDir holds NodeBinaries.
	BinDir string
	// ControlPlane is the running control plane the node joins.
	ControlPlane *controlplane.ControlPlane
	// Region is the region the webhook injects.
	Region string
	// PodEnv is what the webhook adds to every pod (loopbackPod), read per request.
	PodEnv func() []corev1.EnvVar
	// PodIdentity returns the Pod Identity agent URI for a ServiceAccount
	// with an association, else "" (the webhook then injects IRSA).
	PodIdentity func(ns, sa string) string
}

// New returns a node that keeps its files under dir; Start starts it.
func New(dir string) *Node { return &Node{dir: dir} }

// Dir is the node's directory.
func (n *Node) Dir() string { return n.dir }

// Start starts the node and waits until its Node is Ready with both images
// imported. On error, Stop stops what started.
func (n *Node) Start(ctx context.Context, cfg Config) (err error) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return fmt.Errorf("sandbox node: runc is missing (apt-get install -y runc): %w", err)
	}
	for _, b := range NodeBinaries {
		if _, err := os.Stat(filepath.Join(cfg.BinDir, b)); err != nil {
			return fmt.Errorf("sandbox node: %s missing in %s: run `make tools build`", b, cfg.BinDir)
		}
	}
	n.cp = cfg.ControlPlane
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	images := make(chan error, 1)
	go func() { images <- writeImages(cfg.BinDir, filepath.Join(n.dir, "images")) }()
	if n.ctrd, err = startContainerd(ctx, filepath.Join(n.dir, "containerd"), cfg.BinDir, runc); err != nil {
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
	cp := n.cp
	if n.kcm, err = cp.StartControllerManager(ctx); err != nil {
		return err
	}
	if n.sched, err = cp.StartScheduler(ctx); err != nil {
		return err
	}
	cert, caPEM, err := selfSignedServing("podcred-sandbox pod identity webhook")
	if err != nil {
		return err
	}
	if n.webhook, err = startPodWebhook(cp.Client, cfg.Region, cfg.PodEnv, cfg.PodIdentity, cert); err != nil {
		return err
	}
	if err := registerPodWebhook(ctx, cp.Client, n.webhook.url, caPEM); err != nil {
		return err
	}
	kubeconfig, err := cp.KubeletKubeconfig()
	if err != nil {
		return err
	}
	if n.kubelet, err = startKubelet(ctx, filepath.Join(n.dir, "kubelet"), cfg.BinDir, cp.CAFile(), kubeconfig, n.ctrd.socket, controlplane.KubeletNodeName); err != nil {
		return err
	}
	if err := n.waitReady(ctx); err != nil {
		return err
	}
	return untaintNotReady(ctx, cp.Client)
}

// waitReady polls the Node until its Ready condition is True.
func (n *Node) waitReady(ctx context.Context) error {
	return n.kubelet.WaitReady(ctx, 90*time.Second, func(ctx context.Context) error {
		got, err := n.cp.Client.CoreV1().Nodes().Get(ctx, controlplane.KubeletNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nodeReady(got) {
			return errors.New("node not Ready: " + nodeNotReadyReason(got))
		}
		return nil
	})
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

// Procs are the node's processes; none when n is nil.
func (n *Node) Procs() []*proc.Proc {
	if n == nil {
		return nil
	}
	var out []*proc.Proc
	for _, p := range []*proc.Proc{n.kcm, n.sched, n.kubelet} {
		if p != nil {
			out = append(out, p)
		}
	}
	if n.ctrd != nil {
		out = append(out, n.ctrd.proc)
	}
	return out
}
