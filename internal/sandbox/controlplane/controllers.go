package controlplane

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// kubeControllerManagerArgs: loopback, no leader election, every default
// controller but the node lifecycle and taint eviction ones (they would taint
// the world's stand-in Node, which no kubelet heartbeats, and evict its pods),
// each controller with its own ServiceAccount's credentials, and the
// apiserver's service-account signing key and CA (root-ca publisher).
func kubeControllerManagerArgs(kubeconfig string, port int, p *pki) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--controllers=*,-node-lifecycle-controller,-taint-eviction-controller",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + p.saKeyFile,
		"--root-ca-file=" + p.caFile,
		"--cluster-signing-duration=24h",
		"--concurrent-job-syncs=5",
		"--profiling=false",
		"--v=1",
	}
}

// kubeSchedulerArgs: loopback, no leader election.
func kubeSchedulerArgs(kubeconfig string, port int) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	}
}

// startController starts kube-controller-manager or kube-scheduler (name) as
// user and waits until its /healthz answers on its loopback port.
func (cp *ControlPlane) startController(ctx context.Context, name, user string, args func(kubeconfig string, port int) []string) (*proc.Proc, error) {
	kubeconfig, err := cp.componentKubeconfig(user)
	if err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	p, err := proc.StartProc(proc.ProcSpec{Name: name, Path: filepath.Join(cp.binDir, name), Args: args(kubeconfig, port), Env: proc.ScrubbedEnv(), LogDir: cp.dir})
	if err != nil {
		return nil, err
	}
	// Its serving certificate is self-signed: only liveness is checked here.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback health probe of our own child
	if err := p.WaitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, client, proc.LoopbackURL("https", port)+"/healthz", "")
	}); err != nil {
		_ = p.Stop(0)
		return nil, err
	}
	return p, nil
}

// StartControllerManager starts kube-controller-manager as its own user.
func (cp *ControlPlane) StartControllerManager(ctx context.Context) (*proc.Proc, error) {
	return cp.startController(ctx, "kube-controller-manager", controllerManagerUser, func(kc string, port int) []string {
		return kubeControllerManagerArgs(kc, port, cp.pki)
	})
}

// StartScheduler starts kube-scheduler as its own user.
func (cp *ControlPlane) StartScheduler(ctx context.Context) (*proc.Proc, error) {
	return cp.startController(ctx, "kube-scheduler", schedulerUser, kubeSchedulerArgs)
}
