package credcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

// verifyWithin runs Verify under a run deadline of d and fails the test if it
// has not returned one second after it (issue 9: nothing hangs the agent).
func verifyWithin(t *testing.T, w *ststest.Pod, d time.Duration, mutate ...func(*Options)) *report.Report {
	t.Helper()
	o := options(w)
	for _, m := range mutate {
		m(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan *report.Report, 1)
	go func() { done <- Verify(ctx, o) }()
	select {
	case r := <-done:
		return r
	case <-time.After(d + time.Second):
		t.Fatalf("Verify still running 1s after its %s deadline", d)
		return nil
	}
}

func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	return p
}

func TestHostileFilesAreRefusedUnread(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, w *ststest.Pod) // points a variable at the hostile file
		id       string
		status   report.Status
		contains string
	}{
		{"a FIFO as the token file", func(t *testing.T, w *ststest.Pod) { t.Setenv(podiam.EnvTokenFile, mkfifo(t, w.Dir)) },
			IDEnvTokenFile, report.StatusFail, "FIFO"},
		{"a FIFO as the shared credentials file", func(t *testing.T, w *ststest.Pod) { t.Setenv(podiam.EnvSharedCredsFile, mkfifo(t, w.Dir)) },
			IDChainSource, report.StatusFail, "FIFO"},
		{"a token symlinked to /dev/zero", func(t *testing.T, w *ststest.Pod) {
			p := filepath.Join(w.Dir, "zero-token")
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			t.Setenv(podiam.EnvTokenFile, p)
		}, IDEnvTokenFile, report.StatusFail, "character device"},
		{"/dev/zero as the shared credentials file", func(t *testing.T, w *ststest.Pod) { t.Setenv(podiam.EnvSharedCredsFile, "/dev/zero") },
			IDChainSource, report.StatusFail, "/dev/zero is a character device"},
		{"a directory as the config file", func(t *testing.T, w *ststest.Pod) { t.Setenv(podiam.EnvConfigFile, w.Dir) },
			IDChainSource, report.StatusFail, "directory"},
		{"a 70 MB token file", func(t *testing.T, w *ststest.Pod) {
			if err := os.Truncate(w.TokenPath, 70<<20); err != nil {
				t.Fatal(err)
			}
		}, IDEnvTokenFile, report.StatusFail, "over the 65536-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ststest.NewPod(t)
			tt.setup(t, w)
			r := verifyWithin(t, w, 5*time.Second)
			assertStatus(t, r, tt.id, tt.status, tt.contains)
			if r.Verdict == report.VerdictPass {
				t.Errorf("verdict pass with %s", tt.name)
			}
			for _, tok := range w.STS.Tokens() {
				if len(tok) > maxTokenBytes {
					t.Errorf("a %d-byte token was sent to STS", len(tok))
				}
			}
		})
	}
}

func TestTheSDKChainReadsTheTokenThroughTheGuard(t *testing.T) {
	w := ststest.NewPod(t)
	big := filepath.Join(w.Dir, "big-token")
	if err := os.Truncate(w.TokenPath, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, bytes.Repeat([]byte("a"), maxTokenBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(podiam.EnvTokenFile, big)
	r := verifyWithin(t, w, 5*time.Second)
	assertStatus(t, r, IDChainSource, report.StatusFail, "over the 65536-byte limit")
	if n := w.STS.Count("AssumeRoleWithWebIdentity"); n != 0 {
		t.Errorf("the oversized token reached STS %d times", n)
	}
}

func TestEndlessBodiesAreCutOff(t *testing.T) {
	t.Run("IMDS", func(t *testing.T) {
		// Without IRSA the SDK chain falls through to the instance role and
		// reads IMDS's answers: both it and the probes must stop at the cap.
		w := ststest.NewPod(t)
		ststest.Unsetenv(t, podiam.EnvRoleARN)
		ststest.Unsetenv(t, podiam.EnvTokenFile)
		ststest.Unsetenv(t, podiam.EnvIMDSDisabled)
		imds := httptest.NewServer(http.HandlerFunc(ststest.Endless))
		t.Cleanup(imds.Close)
		t.Setenv(podiam.EnvIMDSEndpoint, imds.URL)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := verifyWithin(t, w, 10*time.Second, func(o *Options) { o.IMDSTimeout = 5 * time.Second })
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("allocated %d MiB reading endless IMDS bodies", alloc>>20)
		}
		if c := statusOf(t, r, IDIsolationIMDS); strings.Contains(c.Message, "serves the node role") {
			t.Errorf("isolation.imds: %s", c.Message)
		}
		assertStatus(t, r, IDChainSource, report.StatusFail)
	})
	t.Run("STS", func(t *testing.T) {
		w := ststest.NewPod(t)
		w.STS.AnswerAssume("", ststest.Answer{Endless: true})
		var logs bytes.Buffer
		log := zerolog.New(&logs)
		ctx, cancel := context.WithTimeout(log.WithContext(context.Background()), 10*time.Second)
		defer cancel()
		start := time.Now()
		r := Verify(ctx, options(w))
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("took %s: an endless body must be cut off by size, not by the deadline", d)
		}
		assertStatus(t, r, IDSTSAssumeRole, report.StatusError, "MalformedResponse")
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if line != "" && !json.Valid([]byte(line)) {
				t.Errorf("stderr line is not JSON: %q", line)
			}
		}
	})
}

// blockingTransport never answers and ignores the request's context: the
// worst a collector can do.
type blockingTransport struct{ release chan struct{} }

func (b blockingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	<-b.release
	return nil, context.Canceled
}

func TestTheRunDeadlineHoldsEvenWhenACollectorIgnoresIt(t *testing.T) {
	w := ststest.NewPod(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hc := &http.Client{Transport: blockingTransport{release}}
	r := verifyWithin(t, w, 800*time.Millisecond, func(o *Options) { o.HTTPClient = hc; o.IMDSTimeout = time.Hour })
	assertStatus(t, r, IDIsolationIMDS, report.StatusError, "no answer before the run's deadline")
	if r.Verdict != report.VerdictError {
		t.Errorf("verdict %s, want error: a stuck check verified nothing", r.Verdict)
	}
	assertStatus(t, r, IDSTSAssumeRole, report.StatusPass)
}

func TestAnInvalidIMDSEndpointIsAnErrorNotAPass(t *testing.T) {
	w := ststest.NewPod(t)
	r := verifyWithin(t, w, 5*time.Second, func(o *Options) { o.IMDSEndpoint = "ftp://x y" })
	assertStatus(t, r, IDIsolationIMDS, report.StatusError, "ftp://x y")
}

func TestValidateIMDSEndpoint(t *testing.T) {
	for s, ok := range map[string]bool{
		"http://127.0.0.1:1338": true, "http://169.254.169.254": true, "https://[fd00:ec2::254]/": true,
		"ftp://x y": false, "ftp://host": false, "http://": false, "127.0.0.1:1338": false,
		"http://u:p@host": false, "http://host/latest": false, "http://host:99999": false, "": false,
	} {
		if err := ValidateIMDSEndpoint(s); (err == nil) != ok {
			t.Errorf("ValidateIMDSEndpoint(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestANonexistentProfileIsNamedNotBlamedOnTheNetwork(t *testing.T) {
	w := ststest.NewPod(t)
	t.Setenv(podiam.EnvProfile, "no-such-profile")
	r := verifyWithin(t, w, 10*time.Second)
	assertStatus(t, r, IDSTSAssumeRole, report.StatusPass)
	assertStatus(t, r, IDChainSource, report.StatusFail, "AWS_PROFILE=no-such-profile names a profile that no shared config")
}
