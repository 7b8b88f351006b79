package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// binaries are the programs the suite runs, all from one directory.
type binaries struct {
	dir   string // $PODCRED_BIN, else ../../bin
	agent string // podcred-agent
}

// findBinaries locates $PODCRED_BIN (what `make e2e` passes) or the
// repository's bin/, and fails with the command that builds what is missing:
// the suite never skips.
func findBinaries() (binaries, error) {
	dir := os.Getenv("PODCRED_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return binaries{}, err
	}
	var missing []string
	for _, name := range []string{"podcred-agent", "kube-apiserver", "etcd", "ec2-metadata-mock"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return binaries{}, fmt.Errorf("%s missing from %s: run `make build tools` (or set PODCRED_BIN)", strings.Join(missing, ", "), dir)
	}
	b := binaries{dir: dir, agent: filepath.Join(dir, "podcred-agent")}
	if newer := newerSource(b.agent); newer != "" {
		fmt.Printf("e2e: WARNING: %s is older than %s: run `make build` to test the current code\n", b.agent, newer)
	}
	return b, nil
}

// newerSource returns a Go source file of the agent that is newer than the
// binary at path, or "" (a stale binary tests old code: worth a warning).
func newerSource(path string) string {
	bin, err := os.Stat(path)
	if err != nil {
		return ""
	}
	var newer string
	stopWalk := errors.New("found")
	for _, dir := range []string{"cmd/agent", "internal/agentcli", "internal/cli", "pkg"} {
		_ = filepath.WalkDir(filepath.Join("..", "..", dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().After(bin.ModTime().Add(time.Second)) {
				newer = p
				return stopWalk
			}
			return nil
		})
		if newer != "" {
			return newer
		}
	}
	return ""
}
