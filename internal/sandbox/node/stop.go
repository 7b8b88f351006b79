package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// Stop ends the node: the kubelet first, then every pod container through
// containerd (their shims are not children of the sandbox), the kubelet's
// volume mounts under the node directory, then containerd, the scheduler,
// the controller manager and the webhook.
func (n *Node) Stop() error {
	var errs []error
	if n.kubelet != nil {
		errs = append(errs, n.kubelet.Stop(0))
	}
	if n.ctrd != nil && n.ctrd.proc != nil {
		errs = append(errs, n.ctrd.removeAllTasks())
		errs = append(errs, n.ctrd.stop())
	}
	errs = append(errs, unmountUnder(n.dir))
	errs = append(errs, proc.StopAll(0, n.sched, n.kcm))
	if n.webhook != nil {
		errs = append(errs, n.webhook.stop())
	}
	return errors.Join(errs...)
}

// removeAllTasks kills and deletes every container task of the k8s.io
// namespace; each shim exits with its last task. A delete may race with a
// shim that already exited: only tasks still listed afterwards are an error.
func (c *containerd) removeAllTasks() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list := func() ([]string, error) {
		out, err := exec.CommandContext(ctx, c.ctrPath, "--address", c.socket, "--namespace", "k8s.io", "tasks", "ls", "-q").Output()
		return strings.Fields(string(out)), err
	}
	ids, err := list()
	if err != nil {
		return err
	}
	for _, id := range ids {
		_ = c.ctr(ctx, "tasks", "kill", "--all", "--signal", "SIGKILL", id)
		_ = c.ctr(ctx, "tasks", "delete", "--force", id) // waits for the task to exit
	}
	if left, err := list(); err != nil || len(left) > 0 {
		return fmt.Errorf("containerd tasks left after SIGKILL: %v (%v)", left, err)
	}
	return nil
}

// unmountUnder detaches every mount below dir (the kubelet's tmpfs volumes,
// containerd's rootfs and shm mounts), deepest first.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, sc.Err())...)
}
