package agentcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/podiam"
)

func TestAnInvalidIMDSEndpointIsAUsageError(t *testing.T) {
	t.Run("flag", func(t *testing.T) {
		ststest.NewPod(t)
		code, stdout, stderr := run(t, "--imds-endpoint", "ftp://x y")
		if code != cli.ExitUsage || !strings.Contains(stderr, "--imds-endpoint") || stdout != "" {
			t.Errorf("exit %d, stderr %q, stdout %q: want 2 naming --imds-endpoint and no report", code, stderr, stdout)
		}
	})
	t.Run("environment", func(t *testing.T) {
		ststest.NewPod(t)
		t.Setenv(podiam.EnvIMDSEndpoint, "ftp://x y")
		code, _, stderr := run(t)
		if code != cli.ExitUsage || !strings.Contains(stderr, podiam.EnvIMDSEndpoint) {
			t.Errorf("exit %d, stderr %q: want 2 naming %s", code, stderr, podiam.EnvIMDSEndpoint)
		}
	})
}

func TestAFileSinkThatCannotBeWrittenExitsNonZeroAfterPrintingTheReport(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/full", fifo} {
		t.Run(path, func(t *testing.T) {
			ststest.NewPod(t)
			code, stdout, stderr := run(t, "--format", "json", "--sink", "stdout,file="+path, "--imds-timeout", "300ms")
			if code != cli.ExitUnverified {
				t.Errorf("exit %d, want 1: the report was not published to %s\nstderr: %s", code, path, stderr)
			}
			decodeOne(t, stdout)
			if fi, err := os.Lstat(path); err != nil || fi.Mode().IsRegular() {
				t.Errorf("%s was replaced by a regular file (%v)", path, err)
			}
		})
	}
}

func TestSDKLogLinesAreJSONOnStderr(t *testing.T) {
	p := ststest.NewPod(t)
	// An endless STS answer makes the SDK warn that it could not discard the body.
	p.STS.AnswerAssume("", ststest.Answer{Endless: true})
	code, stdout, stderr := run(t, "--format", "json", "--sink", "stdout", "--imds-timeout", "300ms", "--log-level", "debug", "--timeout", "10s")
	if code != cli.ExitUnverified {
		t.Errorf("exit %d, want 1", code)
	}
	decodeOne(t, stdout)
	sdk := 0
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		if v["source"] == "aws-sdk" {
			sdk++
		}
	}
	if sdk == 0 {
		t.Errorf("no SDK log line went through the logger:\n%s", stderr)
	}
	assertClean(t, p, stdout, stderr)
}
