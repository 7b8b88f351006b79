package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the lock a running sandbox holds in its --dir.
const lockFile = ".lock"

// ErrDirInUse is returned by Start when another running sandbox holds the
// directory: starting would overwrite its PKI, kubeconfig and tokens, and the
// running one would then serve a certificate from another CA.
var ErrDirInUse = errors.New("sandbox directory is in use")

// DirLock is an exclusive flock on <dir>/.lock. The kernel drops it when the
// holder exits, however it exits, so a crashed sandbox leaves no stale lock.
type DirLock struct{ f *os.File }

// lockDir takes the directory's lock without waiting and records the
// holder's PID in it, so the refusal can name who holds it.
func lockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := make([]byte, 32)
		n, _ := f.Read(holder)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder[:n]))
			if _, perr := strconv.Atoi(pid); perr != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%w: %s is held by a running podcred-sandbox (pid %s); stop it or choose another --dir", ErrDirInUse, dir, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Release drops the lock; a nil lock (a temporary directory) is a no-op.
func (l *DirLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
