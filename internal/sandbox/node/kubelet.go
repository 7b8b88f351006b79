package node

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/proc"
)

// kubeletConfig is the KubeletConfiguration of the sandbox node: cgroup v1
// allowed (failCgroupV1: false; this machine has a hybrid hierarchy),
// cgroupfs, swap tolerated, every endpoint on 127.0.0.1, no read-only port,
// the apiserver's CA for client certificates, and eviction thresholds low
// enough that a shared disk never taints the node.
func kubeletConfig(dir, caFile, criSocket string, port, healthzPort int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %d
containerRuntimeEndpoint: unix://%s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: %s
authorization:
  mode: AlwaysAllow
tlsCertFile: ""
staticPodPath: ""
serializeImagePulls: false
registerNode: true
resolvConf: ""
enforceNodeAllocatable: []
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%%"
  nodefs.inodesFree: "1%%"
  imagefs.available: "1%%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
syncFrequency: 5s
fileCheckFrequency: 5s
nodeStatusUpdateFrequency: 2s
localStorageCapacityIsolation: false
volumePluginDir: %s
podLogsDir: %s
`, port, healthzPort, criSocket, caFile, filepath.Join(dir, "volume-plugins"), filepath.Join(dir, "pod-logs"))
}

// kubeletArgs are the flags that have no configuration-file field.
func kubeletArgs(dir, kubeconfig, nodeName string) []string {
	return []string{
		"--config=" + filepath.Join(dir, "kubelet.yaml"),
		"--kubeconfig=" + kubeconfig,
		"--root-dir=" + filepath.Join(dir, "root"),
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--hostname-override=" + nodeName,
		"--node-ip=127.0.0.1",
		"--v=1",
	}
}

// startKubelet starts the kubelet against the CRI socket and waits until its
// healthz answers.
func startKubelet(ctx context.Context, dir, binDir, caFile, kubeconfig, criSocket, nodeName string) (*proc.Proc, error) {
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o700); err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	healthz, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubelet.yaml"), []byte(kubeletConfig(dir, caFile, criSocket, port, healthz)), 0o600); err != nil {
		return nil, err
	}
	p, err := proc.StartProc(proc.ProcSpec{
		Name:   "kubelet",
		Path:   filepath.Join(binDir, "kubelet"),
		Args:   kubeletArgs(dir, kubeconfig, nodeName),
		Env:    append(proc.ScrubbedEnv(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
		LogDir: dir,
	})
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if err := p.WaitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, client, proc.LoopbackURL("http", healthz)+"/healthz", "")
	}); err != nil {
		_ = p.Stop(0)
		return nil, err
	}
	return p, nil
}

// nodeReady reports whether the Node's Ready condition is True.
func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodeNotReadyReason is the Ready condition's message, for errors.
func nodeNotReadyReason(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Reason + ": " + c.Message
		}
	}
	return "no Ready condition yet"
}

// untaintNotReady removes the node.kubernetes.io/not-ready taint the
// TaintNodesByCondition admission plugin puts on a new Node: the node
// lifecycle controller, which would lift it, does not run (see
// kubeControllerManagerArgs). The caller has seen the Node Ready.
func untaintNotReady(ctx context.Context, client kubernetes.Interface) error {
	nodes := client.CoreV1().Nodes()
	for {
		n, err := nodes.Get(ctx, controlplane.KubeletNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var keep []corev1.Taint
		for _, t := range n.Spec.Taints {
			if t.Key != corev1.TaintNodeNotReady {
				keep = append(keep, t)
			}
		}
		if len(keep) == len(n.Spec.Taints) {
			return nil
		}
		n.Spec.Taints = keep
		if _, err = nodes.Update(ctx, n, metav1.UpdateOptions{}); err == nil || !apierrors.IsConflict(err) {
			return err
		}
	}
}
