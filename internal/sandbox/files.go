package sandbox

import (
	"os"
	"path/filepath"
)

// writeSecretFile writes data 0600, creating parent directories 0700.
func writeSecretFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path) // atomic, like the kubelet's symlink swap
}
