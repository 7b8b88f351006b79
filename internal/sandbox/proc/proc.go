package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// DefaultGrace is how long Proc.Stop waits after SIGTERM before it sends SIGKILL.
const DefaultGrace = 5 * time.Second

// ProcSpec describes a child process of the sandbox.
type ProcSpec struct {
	// Name names the process in errors and its log file, <LogDir>/<Name>.log.
	Name string
	// Path is the binary to run.
	Path string
	// Args are the arguments, without the program name.
	Args []string
	// Env is the whole environment; nil inherits the current process's.
	Env []string
	// LogDir receives the log file (stdout and stderr together); it is also the working directory.
	LogDir string
}

// Proc is a running child process in its own process group. It is stopped by
// its PID (the group), never by name.
type Proc struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// StartProc starts spec in a new process group, its output going to its log
// file. The child is also sent SIGKILL if the sandbox process dies first.
func StartProc(spec ProcSpec) (*Proc, error) {
	logPath := filepath.Join(spec.LogDir, spec.Name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.LogDir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Proc{name: spec.Name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name is the name the process was started with.
func (p *Proc) Name() string { return p.name }

// PID is the process ID, which is also its process group ID.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// LogPath is the file holding the process's stdout and stderr.
func (p *Proc) LogPath() string { return p.logPath }

// Exited is closed once the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Stop sends SIGTERM to the process group, then SIGKILL after grace (DefaultGrace
// when zero), and waits for the process to be reaped. It is safe to call twice.
func (p *Proc) Stop(grace time.Duration) error {
	if grace <= 0 {
		grace = DefaultGrace
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.PID()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(grace):
			return fmt.Errorf("stop %s (pid %d): still running after SIGKILL", p.name, pgid)
		}
	}
	// Leftover members of the group (none expected) go too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// logTail returns the last bytes of the process's log, for error messages.
func (p *Proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// WaitReady calls check every 100 ms until it returns nil, the process exits,
// or timeout passes. Errors carry the tail of the process's log.
func (p *Proc) WaitReady(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		last = check(attempt)
		cancelAttempt()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v); log %s:\n%s", p.name, p.waitErr, p.logPath, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; log %s:\n%s", p.name, timeout, last, p.logPath, p.logTail())
		case <-tick.C:
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LoopbackURL is http(s)://127.0.0.1:port.
func LoopbackURL(scheme string, port int) string {
	return scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// StopAll stops every non-nil process and joins their errors.
func StopAll(grace time.Duration, procs ...*Proc) error {
	var errs []error
	for _, p := range procs {
		if p != nil {
			errs = append(errs, p.Stop(grace))
		}
	}
	return errors.Join(errs...)
}
