package node

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/proc"
)

// scanPodLogs reads every container log the kubelet wrote (bounded) and
// fails when one holds a secret the sandbox issued (the secret is never printed).
func scanPodLogs(sb *sandbox.Sandbox) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	secrets, err := sb.Secrets(ctx)
	if err != nil {
		return err
	}
	root := filepath.Join(sb.Dir(), "node", "kubelet", "pod-logs")
	logs := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 8<<20))
		if err != nil {
			return err
		}
		logs++
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(string(b), s) {
				return fmt.Errorf("%s holds a secret the sandbox issued (%d chars)", path, len(s))
			}
		}
		return nil
	})
	if err == nil && logs == 0 {
		err = fmt.Errorf("no container log under %s: the scan proved nothing", root)
	}
	return err
}

// procsGone checks that every process of the sandbox, node included, has exited.
func procsGone(procs []*proc.Proc) error {
	for _, p := range procs {
		if err := syscall.Kill(p.PID(), 0); err == nil {
			return fmt.Errorf("%s (pid %d) still runs after Close", p.Name(), p.PID())
		}
	}
	return nil
}
