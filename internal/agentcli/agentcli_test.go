package agentcli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
)

// run executes podcred-agent in-process as main would and returns the exit
// code and both streams.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := NewCommand(Streams{Out: &out, Err: &errb, LookupEnv: os.LookupEnv})
	cmd.SetArgs(args)
	code = cli.Main(cmd, &errb)
	return code, out.String(), errb.String()
}

// decodeOne asserts stdout is exactly one JSON report and returns it.
func decodeOne(t *testing.T, stdout string) *report.Report {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var r report.Report
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", stdout)
	}
	return &r
}

// assertClean checks that no output holds a secret the fake STS issued or the raw token.
func assertClean(t *testing.T, p *ststest.Pod, outputs ...string) {
	t.Helper()
	parts := strings.Split(p.Token, ".")
	for _, o := range outputs {
		for _, s := range []string{ststest.SecretKey, ststest.SessionToken, ststest.AccessKeyPrefix, p.Token, parts[len(parts)-1]} {
			if len(s) > 6 && strings.Contains(o, s) {
				t.Errorf("output leaks a secret (%.10s...)", s)
			}
		}
	}
}

func TestHealthyPodPrintsOneJSONReportWithEveryCheckAndExitsZero(t *testing.T) {
	p := ststest.NewPod(t)
	t.Setenv("PODCRED_IMDS_TIMEOUT", "300ms")
	code, stdout, stderr := run(t, "--format", "json", "--sink", "stdout", "--log-level", "debug")
	if code != cli.ExitPass {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	r := decodeOne(t, stdout)
	for _, s := range credcheck.AgentSpecs {
		if r.Check(s.ID) == nil {
			t.Errorf("report lacks check %s", s.ID)
		}
	}
	if r.SchemaVersion != report.SchemaVersion || r.Kind != report.KindAgent || r.Verdict != report.VerdictPass {
		t.Errorf("schema %q kind %q verdict %q", r.SchemaVersion, r.Kind, r.Verdict)
	}
	if r.Identity == nil || !strings.Contains(r.Identity.Arn, ":assumed-role/chaos-ec2/") {
		t.Errorf("identity %+v, want the assumed role", r.Identity)
	}
	if !strings.Contains(stderr, "verification finished") {
		t.Errorf("logs belong on stderr: %q", stderr)
	}
	assertClean(t, p, stdout, stderr)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, p *ststest.Pod)
		args  []string
		code  int
		check string
	}{
		{"static keys in the environment fail", func(t *testing.T, _ *ststest.Pod) {
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
		}, nil, cli.ExitFail, credcheck.IDCredsStaticEnv},
		{"a garbage token fails", func(t *testing.T, p *ststest.Pod) { p.WriteToken(t, "xx-no-jwt-xx") }, nil, cli.ExitFail, credcheck.IDTokenClaims},
		{"unreachable STS cannot verify", func(t *testing.T, _ *ststest.Pod) {
			l, _ := net.Listen("tcp", "127.0.0.1:0")
			t.Setenv("AWS_ENDPOINT_URL_STS", "http://"+l.Addr().String())
			l.Close()
		}, nil, cli.ExitUnverified, credcheck.IDSTSAssumeRole},
		{"a warning passes", func(t *testing.T, _ *ststest.Pod) { t.Setenv("AWS_SESSION_TOKEN", "leftover") }, nil, cli.ExitPass, credcheck.IDCredsStaticEnv},
		{"a warning is exit 4 with --strict", func(t *testing.T, _ *ststest.Pod) { t.Setenv("AWS_SESSION_TOKEN", "leftover") },
			[]string{"--strict"}, cli.ExitWarnStrict, credcheck.IDCredsStaticEnv},
		{"PODCRED_STRICT works like --strict", func(t *testing.T, _ *ststest.Pod) {
			t.Setenv("AWS_SESSION_TOKEN", "leftover")
			t.Setenv("PODCRED_STRICT", "true")
		}, nil, cli.ExitWarnStrict, credcheck.IDCredsStaticEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ststest.NewPod(t)
			tt.setup(t, p)
			code, stdout, stderr := run(t, append([]string{"--format", "json", "--sink", "stdout", "--imds-timeout", "300ms"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.code, stderr)
			}
			r := decodeOne(t, stdout)
			if c := r.Check(tt.check); c == nil || c.Status == report.StatusPass {
				t.Errorf("check %s = %+v, want it to report the problem", tt.check, c)
			}
			assertClean(t, p, stdout, stderr)
			for _, s := range []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7EXAMPLE"} {
				if strings.Contains(stdout+stderr, s) {
					t.Error("output leaks the static keys")
				}
			}
		})
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	ststest.NewPod(t)
	for _, args := range [][]string{
		{"--sink", "carrier-pigeon"},
		{"--sink", "file="},
		{"--format", "yaml"},
		{"--deny-role-arn", "arn:aws:iam::1:role/x"},
		{"--timeout", "0s"},
		{"--no-such-flag"},
		{"--log-level", "loud"},
		{"gate"},
	} {
		if code, _, stderr := run(t, args...); code != cli.ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want 2 with a message", args, code, stderr)
		}
	}
	t.Setenv("PODCRED_IMDS_TIMEOUT", "soon")
	if code, _, stderr := run(t); code != cli.ExitUsage || !strings.Contains(stderr, "PODCRED_IMDS_TIMEOUT") {
		t.Errorf("bad PODCRED_IMDS_TIMEOUT: exit %d, stderr %q", code, stderr)
	}
}

func TestFileSinkAndTextFormat(t *testing.T) {
	p := ststest.NewPod(t)
	path := filepath.Join(t.TempDir(), "report.json")
	t.Setenv("PODCRED_FORMAT", "json")
	code, stdout, _ := run(t, "verify", "--format", "text", "--sink", "stdout,file="+path, "--imds-timeout", "300ms")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout, "verdict PASS") || !strings.Contains(stdout, credcheck.IDSTSAssumeRole) || strings.HasPrefix(stdout, "{") {
		t.Errorf("--format text must win over PODCRED_FORMAT:\n%s", stdout)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeOne(t, string(b)); r.Verdict != report.VerdictPass {
		t.Errorf("file report verdict %s", r.Verdict)
	}
	assertClean(t, p, stdout, string(b))
}

func TestKubernetesSinksOutsideAClusterNeedAKubeconfig(t *testing.T) {
	ststest.NewPod(t)
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	code, _, stderr := run(t, "--sink", "configmap")
	if code != cli.ExitUsage || !strings.Contains(stderr, "--sink configmap") {
		t.Errorf("exit %d stderr %q, want a usage error naming the sink", code, stderr)
	}
}

// kubeconfigFor writes a kubeconfig pointing at server.
func kubeconfigFor(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
		"\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAReportThatCannotBePublishedFailsClosed(t *testing.T) {
	p := ststest.NewPod(t)
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","reason":"InternalError","code":500}`)
	}))
	t.Cleanup(api.Close)
	start := time.Now()
	code, stdout, stderr := run(t, "--format", "json", "--sink", "stdout,configmap", "--kubeconfig", kubeconfigFor(t, api.URL), "--imds-timeout", "300ms")
	if code != cli.ExitUnverified {
		t.Fatalf("exit %d, want 1: a gate would read a stale or missing report\nstderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "could not be published to configmap") || !strings.Contains(stderr, "verdict pass") {
		t.Errorf("stderr must say the pass verdict was not published: %s", stderr)
	}
	if r := decodeOne(t, stdout); r.Verdict != report.VerdictPass {
		t.Errorf("the stdout report must still be there, verdict %s", r.Verdict)
	}
	if calls.Load() == 0 || time.Since(start) > 20*time.Second {
		t.Errorf("%d API calls in %s", calls.Load(), time.Since(start))
	}
	assertClean(t, p, stdout, stderr)
}

func TestInAPodWithoutAPIAccessTheReportStillPrintsAndTheRunFailsClosed(t *testing.T) {
	p := ststest.NewPod(t)
	t.Setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1") // in a pod, but no service account token mounted
	t.Setenv("KUBERNETES_SERVICE_PORT", "1")
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	code, stdout, stderr := run(t, "--format", "json", "--imds-timeout", "300ms")
	if code != cli.ExitUnverified {
		t.Fatalf("exit %d, want 1\nstderr: %s", code, stderr)
	}
	if r := decodeOne(t, stdout); r.Verdict != report.VerdictPass {
		t.Errorf("verdict %s: the checks must still run", r.Verdict)
	}
	if !strings.Contains(stderr, "could not be published to configmap, annotation, event") {
		t.Errorf("stderr must say the report was not published: %s", stderr)
	}
	assertClean(t, p, stdout, stderr)
}
