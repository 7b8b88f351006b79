// Package e2e proves podcred end to end: one sandbox (real kube-apiserver and
// etcd, moto behind the validating STS front, the IMDS mock) per test binary,
// the real podcred-agent binary run as a process with a pod's environment, and
// its report read back from stdout and from the apiserver.
//
// Run it with `make e2e`, or: PODCRED_BIN=$PWD/bin go test -count=1 ./test/e2e/
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/awsemu"
)

// suite is what TestMain set up for every test.
var suite struct {
	bins     binaries
	sb       *sandbox.Sandbox
	setupErr error // reported by every test through sb(t)
	world    string
	outputs  collector
}

// endOfSuite is the reason for the one planned stop.
const endOfSuite = "end of suite"

// startTimeout bounds the sandbox's start-up (about 5 s on two cores).
const startTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

// runSuite starts the sandbox, runs the tests, then proves what only the
// whole suite can: no secret reached any output, and every process the
// sandbox started is gone. The sandbox is stopped in every case: on return,
// on SIGINT/SIGTERM/SIGHUP (also during start-up), shortly before go test's
// -timeout panics, and when a test body panics (stopOnPanic). Its children
// also die with this process (they are started with a parent-death signal).
func runSuite(m *testing.M) int {
	flag.Parse()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	startCtx, cancelStart := context.WithTimeout(context.Background(), startTimeout)
	ready := make(chan struct{})
	go func() {
		s := <-sig
		cancelStart() // Start stops what it started and returns
		<-ready
		stopSandbox("signal " + s.String())
		os.Exit(2)
	}()
	setUp(startCtx)
	cancelStart()
	close(ready)
	defer stopSandbox(endOfSuite)
	if d := testTimeout(); d > time.Minute {
		watchdog := time.AfterFunc(d-10*time.Second, func() { stopSandbox("go test -timeout is near") })
		defer watchdog.Stop()
	}

	code := m.Run()
	if suite.sb == nil {
		return code
	}
	if reason := stoppedEarly.Load(); reason != nil {
		fmt.Printf("e2e: final checks skipped: the sandbox was stopped early (%s)\n", *reason)
		return 1
	}
	if !finalChecks() {
		code = 1
	}
	return code
}

var (
	stopOnce sync.Once
	// stoppedEarly holds why the sandbox was stopped before the end of the suite.
	stoppedEarly atomic.Pointer[string]
)

// stopSandbox stops the sandbox by its processes' PIDs, once, whoever asks
// first; later callers wait until it is stopped.
func stopSandbox(reason string) {
	stopOnce.Do(func() {
		if suite.sb == nil {
			return
		}
		if reason != endOfSuite {
			stoppedEarly.Store(&reason)
			fmt.Fprintf(os.Stderr, "e2e: %s: stopping the sandbox\n", reason)
		}
		if err := suite.sb.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping the sandbox (%s): %v\n", reason, err)
		}
	})
}

// setUp finds the binaries and starts the sandbox on the demo world. A
// failure is kept in suite.setupErr: every test then fails with it.
func setUp(ctx context.Context) {
	if suite.bins, suite.setupErr = findBinaries(); suite.setupErr != nil {
		return
	}
	if suite.setupErr = awsemu.CheckMoto(""); suite.setupErr != nil {
		return
	}
	w, err := loadWorld(demoWorld)
	if err != nil {
		suite.setupErr = err
		return
	}
	started := time.Now()
	sb, err := sandbox.Start(ctx, sandbox.Options{BinDir: suite.bins.dir, World: w})
	if err != nil {
		suite.setupErr = fmt.Errorf("start the sandbox: %w", err)
		return
	}
	suite.sb, suite.world = sb, demoWorld
	fmt.Printf("e2e: sandbox on %s up in %s (front %s)\n", demoWorld, time.Since(started).Round(time.Millisecond), sb.EndpointURL())
}

// sb returns the suite's sandbox, failing the test when it could not start.
func sb(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	if suite.setupErr != nil {
		t.Fatal(suite.setupErr)
	}
	if reason := stoppedEarly.Load(); reason != nil {
		t.Fatalf("the sandbox was stopped: %s", *reason)
	}
	return suite.sb
}

// stopOnPanic stops the sandbox when the test body that defers it panics: a
// panic ends the process, and TestMain's deferred stop never runs.
// Every test body starts with `defer stopOnPanic()`.
func stopOnPanic() {
	if r := recover(); r != nil {
		stopSandbox("a test panicked")
		panic(r)
	}
}

// testTimeout is go test's -timeout (0 when none).
func testTimeout() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	d, _ := time.ParseDuration(f.Value.String())
	return d
}
