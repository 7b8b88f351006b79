package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSandboxLogsCarryNoColourOutsideATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log, err := (&commonOptions{logLevel: "info"}).loggerTo(f)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Str("dir", "/tmp/x").Msg("sandbox ready")
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "\x1b[") {
		t.Errorf("log file holds ANSI escapes: %q", b)
	}
	if !strings.Contains(string(b), "sandbox ready") || !strings.Contains(string(b), "dir=/tmp/x") {
		t.Errorf("log line %q", b)
	}
}
