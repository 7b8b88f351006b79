// Package node proves podcred on the sandbox's real node: kube-controller-manager,
// kube-scheduler, containerd with runc and a kubelet run the agent image built
// from this repository, with IRSA injected by the sandbox's pod identity webhook.
// One sandbox (demo world, Options.Node) per test binary, in a temporary
// directory or in $PODCRED_NODE_E2E_DIR (kept, with every log, for debugging).
//
// Run it with `make e2e`, or: PODCRED_BIN=$PWD/bin go test -count=1 ./test/e2e/node/
package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// suite is what TestMain set up.
var suite struct {
	sb       *sandbox.Sandbox
	binDir   string
	setupErr error
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	suite.binDir = os.Getenv("PODCRED_BIN")
	if suite.binDir == "" {
		suite.binDir = filepath.Join("..", "..", "..", "bin")
	}
	w, err := world.LoadWorld(filepath.Join("..", "..", "..", "examples", "worlds", "demo.yaml"))
	if err != nil {
		suite.setupErr = err
		return m.Run()
	}
	started := time.Now()
	sb, err := sandbox.Start(ctx, sandbox.Options{BinDir: suite.binDir, World: w, Node: true, Dir: os.Getenv("PODCRED_NODE_E2E_DIR")})
	if err != nil {
		suite.setupErr = fmt.Errorf("start the sandbox with its node: %w", err)
		return m.Run()
	}
	fmt.Printf("node e2e: sandbox and node up in %s\n", time.Since(started).Round(time.Millisecond))
	suite.sb = sb
	code := m.Run()
	if err := scanPodLogs(sb); err != nil {
		fmt.Fprintf(os.Stderr, "node e2e: %v\n", err)
		code = 1
	}
	procs := sb.Procs()
	if err := sb.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "node e2e: stop: %v\n", err)
		code = 1
	}
	if err := procsGone(procs); err != nil {
		fmt.Fprintf(os.Stderr, "node e2e: %v\n", err)
		code = 1
	}
	return code
}

// sb returns the suite's sandbox, failing the test when it could not start.
func sb(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	if suite.setupErr != nil {
		t.Fatal(suite.setupErr)
	}
	return suite.sb
}
