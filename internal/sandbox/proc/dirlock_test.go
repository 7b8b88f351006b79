package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestASecondSandboxCannotTakeARunningSandboxsDir(t *testing.T) {
	dir := t.TempDir()
	first, err := PrepareDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The running sandbox's PKI, as Start would have written it.
	ca := filepath.Join(dir, "pki", "ca.crt")
	if err := os.MkdirAll(filepath.Dir(ca), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("first CA"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err = PrepareDir(dir)
	if !errors.Is(err, ErrDirInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second PrepareDir = %v, want ErrDirInUse naming pid %d", err, os.Getpid())
	}
	if b, err := os.ReadFile(ca); err != nil || string(b) != "first CA" {
		t.Fatalf("the running sandbox's CA was touched: %q %v", b, err)
	}

	first.Release()
	second, err := PrepareDir(dir)
	if err != nil {
		t.Fatalf("after the first sandbox stopped: %v", err)
	}
	defer second.Release()
	if _, err := os.Stat(ca); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stopped sandbox's PKI is cleaned on the next start, got %v", err)
	}
}
