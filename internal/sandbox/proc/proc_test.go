package proc

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:1F90": "[::1]:8080",
		"0000000000000000FFFF00000100007F:0016": "127.0.0.1:22",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got != netip.MustParseAddrPort(want) {
			t.Errorf("parseProcAddr(%s) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestProcStopKillsTheWholeProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// Once child.pid exists the shell ignores SIGTERM (its child, started before the trap, does not).
	p, err := StartProc(ProcSpec{Name: "sleeper", Path: "/bin/sh", LogDir: dir,
		Args: []string{"-c", "sleep 300 & trap '' TERM; echo $! > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "; wait"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	started := func(context.Context) (bool, error) { _, err := os.Stat(pidFile); return err == nil, nil }
	if err := wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, 10*time.Second, true, started); err != nil {
		t.Fatalf("the shell never started its child: %v", err)
	}
	start := time.Now()
	if err := p.Stop(500 * time.Millisecond); err != nil { // the shell ignores SIGTERM: SIGKILL follows
		t.Fatal(err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Stop took %s", time.Since(start))
	}
	if err := syscall.Kill(-p.PID(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d survives: %v", p.PID(), err)
	}
}

func TestWaitReadyReportsAnEarlyExitWithTheLog(t *testing.T) {
	p, err := StartProc(ProcSpec{Name: "crasher", Path: "/bin/sh", Args: []string{"-c", "echo boom-reason; exit 3"}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	err = p.WaitReady(context.Background(), 10*time.Second, func(context.Context) error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "boom-reason") {
		t.Fatalf("got %v", err)
	}
}

func TestMissingBinariesNameMakeTools(t *testing.T) {
	err := CheckBinaries(t.TempDir(), true)
	if err == nil || !strings.Contains(err.Error(), "run `make tools`") {
		t.Fatalf("got %v", err)
	}
}
