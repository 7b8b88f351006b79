package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PrepareDir creates dir, takes its lock (see lockDir) and only then removes
// what a previous, stopped sandbox left in it. The lock is held until released.
func PrepareDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"etcd", "pki", "tokens", "pods"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			lock.Release()
			return nil, err
		}
	}
	return lock, nil
}

// CheckBinaries reports a missing tool binary with the command that builds it.
func CheckBinaries(binDir string, imds bool) error {
	bins := []string{"kube-apiserver", "etcd"}
	if imds {
		bins = append(bins, "ec2-metadata-mock")
	}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return fmt.Errorf("%s is missing: run `make tools`", filepath.Join(binDir, b))
		}
	}
	return nil
}

// FindBinDir returns $PODCRED_BIN_DIR, or the bin directory of the repository
// that holds the working directory (found by walking up to go.mod).
func FindBinDir() (string, error) {
	if d := os.Getenv("PODCRED_BIN_DIR"); d != "" {
		return filepath.Abs(d)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/podcred/podcred\n") {
			return filepath.Join(dir, "bin"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the podcred repository's bin directory: set PODCRED_BIN_DIR")
		}
		dir = parent
	}
}
