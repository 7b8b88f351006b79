package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// containerd is the node's CRI runtime: containerd 2.x (built by `make tools`)
// running runc with the cgroupfs driver, its sockets under the node directory.
type containerd struct {
	proc    *proc.Proc
	dir     string
	socket  string // gRPC socket (the kubelet's CRI endpoint)
	ctrPath string
}

// containerdConfig is containerd's config.toml (version 3). The CRI plugin
// runs runc (BinaryName) without systemd cgroups (containerd's default spec
// sets RLIMIT_NOFILE to 1024, under this machine's hard limit); the sandbox (pause) image is
// ours and never pulled; CNI holds only the loopback plugin, which is enough
// for NetworkReady (pods run in the host network).
func containerdConfig(dir, runc string) string {
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	return strings.Join([]string{
		"version = 3",
		"root = " + q(filepath.Join(dir, "root")),
		"state = " + q(filepath.Join(dir, "state")),
		"disabled_plugins = ['io.containerd.internal.v1.opt', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.erofs', 'io.containerd.tracing.processor.v1.otlp']",
		"[grpc]",
		"  address = " + q(filepath.Join(dir, "containerd.sock")),
		"[ttrpc]",
		"  address = " + q(filepath.Join(dir, "containerd.sock.ttrpc")),
		"[metrics]",
		"  address = ''",
		"[plugins.'io.containerd.cri.v1.images']",
		"  snapshotter = 'overlayfs'",
		"  [plugins.'io.containerd.cri.v1.images'.pinned_images]",
		"    sandbox = " + q(PauseImageRef),
		"[plugins.'io.containerd.cri.v1.runtime']",
		"  enable_selinux = false",
		"  restrict_oom_score_adj = true", // no CAP_SYS_RESOURCE: the kubelet's -998 for pause would fail
		"  [plugins.'io.containerd.cri.v1.runtime'.containerd]",
		"    default_runtime_name = 'runc'",
		"    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
		"      runtime_type = 'io.containerd.runc.v2'",
		"      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
		"        BinaryName = " + q(runc),
		"        SystemdCgroup = false",
		"        Root = " + q(filepath.Join(dir, "runc")),
		"  [plugins.'io.containerd.cri.v1.runtime'.cni]",
		"    bin_dirs = [" + q(filepath.Join(dir, "cni", "bin")) + "]",
		"    conf_dir = " + q(filepath.Join(dir, "cni", "net.d")),
		"[plugins.'io.containerd.grpc.v1.cri']",
		"  stream_server_address = '127.0.0.1'",
		"  stream_server_port = '0'",
		"",
	}, "\n")
}

// loopbackCNI is the only network configuration: every pod namespace gets lo, nothing else.
const loopbackCNI = `{"cniVersion":"1.0.0","name":"podcred-loopback","plugins":[{"type":"loopback"}]}`

// startContainerd writes the configuration and starts containerd as root,
// then waits until its socket answers `ctr version`.
func startContainerd(ctx context.Context, dir, binDir, runc string) (*containerd, error) {
	c := &containerd{dir: dir, socket: filepath.Join(dir, "containerd.sock"), ctrPath: filepath.Join(binDir, "ctr")}
	for _, d := range []string{filepath.Join(dir, "cni", "bin"), filepath.Join(dir, "cni", "net.d")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// The loopback plugin is linked, not copied: containerd runs it by path.
	if err := os.Symlink(filepath.Join(binDir, "cni", "loopback"), filepath.Join(dir, "cni", "bin", "loopback")); err != nil && !os.IsExist(err) {
		return nil, err
	}
	files := map[string]string{
		filepath.Join(dir, "cni", "net.d", "10-loopback.conflist"): loopbackCNI,
		filepath.Join(dir, "config.toml"):                          containerdConfig(dir, runc),
	}
	for path, data := range files {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return nil, err
		}
	}
	var err error
	c.proc, err = proc.StartProc(proc.ProcSpec{
		Name:   "containerd",
		Path:   filepath.Join(binDir, "containerd"),
		Args:   []string{"--config", filepath.Join(dir, "config.toml"), "--log-level", "info"},
		Env:    append(proc.ScrubbedEnv(), "PATH="+binDir+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
		LogDir: dir,
	})
	if err != nil {
		return nil, err
	}
	if err := c.proc.WaitReady(ctx, 30*time.Second, func(ctx context.Context) error {
		conn, err := (&net.Dialer{}).DialContext(ctx, "unix", c.socket)
		if err != nil {
			return err
		}
		_ = conn.Close()
		return c.ctr(ctx, "version")
	}); err != nil {
		_ = c.proc.Stop(0)
		return nil, err
	}
	return c, nil
}

// ctr runs ctr against this containerd in the CRI's namespace, k8s.io.
func (c *containerd) ctr(ctx context.Context, args ...string) error {
	full := append([]string{"--address", c.socket, "--namespace", "k8s.io"}, args...)
	out, err := exec.CommandContext(ctx, c.ctrPath, full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, bounded(out, 2000))
	}
	return nil
}

// importImage imports an OCI archive into the k8s.io namespace, where the CRI finds it.
func (c *containerd) importImage(ctx context.Context, archive string) error {
	return c.ctr(ctx, "images", "import", "--no-unpack=false", archive)
}

// stop stops containerd by PID; its shims (their own process groups) are
// stopped by the kubelet removing the pods first.
func (c *containerd) stop() error { return c.proc.Stop(0) }

// bounded returns at most n bytes of b, as a string.
func bounded(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
