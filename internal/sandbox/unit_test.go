package sandbox

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/podcred/podcred/pkg/podiam"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:1F90": "[::1]:8080",
		"0000000000000000FFFF00000100007F:0016": "127.0.0.1:22",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got != netip.MustParseAddrPort(want) {
			t.Errorf("parseProcAddr(%s) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestInjectIRSALikeThePodIdentityWebhook(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{podiam.AnnotationRoleARN: "arn:aws:iam::123456789012:role/r"}}}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "AWS_REGION", Value: "keep-me"}}}}}}
	injectIRSA(pod, sa, "eu-west-1")
	env := map[string]string{}
	for _, e := range pod.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["AWS_ROLE_ARN"] != "arn:aws:iam::123456789012:role/r" || env["AWS_WEB_IDENTITY_TOKEN_FILE"] != podiam.TokenPath ||
		env["AWS_REGION"] != "keep-me" || env["AWS_DEFAULT_REGION"] != "eu-west-1" || env["AWS_STS_REGIONAL_ENDPOINTS"] != "regional" {
		t.Fatalf("env %v", env)
	}
	vol := pod.Spec.Volumes[0].Projected.Sources[0].ServiceAccountToken
	if vol.Audience != podiam.DefaultAudience || *vol.ExpirationSeconds != 86400 || vol.Path != "token" {
		t.Fatalf("token volume %+v", vol)
	}
	if m := pod.Spec.Containers[0].VolumeMounts[0]; m.MountPath != podiam.TokenDir || !m.ReadOnly {
		t.Fatalf("mount %+v", m)
	}

	bare := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	injectIRSA(bare, &corev1.ServiceAccount{}, "eu-west-1")
	if len(bare.Spec.Volumes) != 0 || len(bare.Spec.Containers[0].Env) != 0 {
		t.Fatal("an SA without role annotation got injected")
	}
}

func TestHostPathRewritesPathsInsideMounts(t *testing.T) {
	k := &kubelet{mounts: map[string]string{"/tmp": "/sb/fs/tmp", podiam.TokenDir: "/sb/fs" + podiam.TokenDir}}
	for in, want := range map[string]string{
		"/tmp/cloud_config.yml": "/sb/fs/tmp/cloud_config.yml",
		podiam.TokenPath:        "/sb/fs" + podiam.TokenPath,
		"/tmpx/file":            "/tmpx/file",
		"us-east-1":             "us-east-1",
	} {
		if got := k.hostPath(in); got != want {
			t.Errorf("hostPath(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestExportsAreShellQuoted(t *testing.T) {
	if got := shellQuote(`a'b $c`); got != `'a'\''b $c'` {
		t.Fatalf("shellQuote = %s", got)
	}
	if got := envName("litmus-admin.x"); got != "LITMUS_ADMIN_X" {
		t.Fatalf("envName = %s", got)
	}
}

func TestProcStopKillsTheWholeProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// Once child.pid exists the shell ignores SIGTERM (its child, started before the trap, does not).
	p, err := StartProc(ProcSpec{Name: "sleeper", Path: "/bin/sh", LogDir: dir,
		Args: []string{"-c", "sleep 300 & trap '' TERM; echo $! > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "; wait"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	started := func(context.Context) (bool, error) { _, err := os.Stat(pidFile); return err == nil, nil }
	if err := wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, 10*time.Second, true, started); err != nil {
		t.Fatalf("the shell never started its child: %v", err)
	}
	start := time.Now()
	if err := p.Stop(500 * time.Millisecond); err != nil { // the shell ignores SIGTERM: SIGKILL follows
		t.Fatal(err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Stop took %s", time.Since(start))
	}
	if err := syscall.Kill(-p.PID(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d survives: %v", p.PID(), err)
	}
}

func TestWaitReadyReportsAnEarlyExitWithTheLog(t *testing.T) {
	p, err := StartProc(ProcSpec{Name: "crasher", Path: "/bin/sh", Args: []string{"-c", "echo boom-reason; exit 3"}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	err = p.WaitReady(context.Background(), 10*time.Second, func(context.Context) error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "boom-reason") {
		t.Fatalf("got %v", err)
	}
}

func TestMissingMotoFailsWithTheInstallHint(t *testing.T) {
	err := CheckMoto("/nonexistent/python3")
	if err == nil || !strings.Contains(err.Error(), MotoInstallHint) {
		t.Fatalf("got %v, want the hint %s", err, MotoInstallHint)
	}
	if _, lookErr := exec.LookPath("python3"); lookErr == nil {
		if err := CheckMoto(""); err != nil {
			t.Fatalf("moto is installed here but: %v", err)
		}
	}
}

func TestMissingBinariesNameMakeTools(t *testing.T) {
	err := CheckBinaries(t.TempDir(), true)
	if err == nil || !strings.Contains(err.Error(), "run `make tools`") {
		t.Fatalf("got %v", err)
	}
}
