package e2e

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
)

// as returns a client that authenticates as user (impersonated by the
// admin), so RBAC and admission judge that identity; a ServiceAccount gets
// its groups as the token authenticator would give them.
func as(t *testing.T, user string) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(sb(t).ControlPlane().Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	if rest, ok := strings.CutPrefix(user, "system:serviceaccount:"); ok {
		ns, _, _ := strings.Cut(rest, ":")
		cfg.Impersonate.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantRefusedByPolicy asserts that err is the shipped admission policy's refusal saying phrase.
func wantRefusedByPolicy(t *testing.T, what string, err error, phrase string) {
	t.Helper()
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy") || !strings.Contains(err.Error(), phrase) {
		t.Errorf("%s: %v, want the admission policy's refusal saying %q", what, err, phrase)
	}
}

// Each forgery of issue 8 is refused by the shipped admission policy on the
// real apiserver, made by identities that hold exactly the RBAC deploy/
// ships; the real agent still publishes and overwrites its own verdict.
func TestOnlyTheNamedServiceAccountMayWriteItsVerdict(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	ctx := t.Context()
	healthy := scenarioEnv(t, scenario(t, "healthy"))
	other := as(t, "system:serviceaccount:litmus:lambda-experiment") // holds job.yaml's Role for its own report
	owner := as(t, "system:serviceaccount:litmus:litmus-admin")
	adminCMs := sb(t).ControlPlane().Client.CoreV1().ConfigMaps("litmus")
	_ = adminCMs.Delete(ctx, "podcred-litmus-admin", metav1.DeleteOptions{})

	forged := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "podcred-litmus-admin", Labels: map[string]string{
			"app.kubernetes.io/managed-by": "podcred", "podcred.io/service-account": "litmus-admin", "podcred.io/verdict": "pass"}},
		Data: map[string]string{"verdict": "pass", "report.json": `{"checks":[{"id":"anything","status":"pass"}]}`},
	}
	_, err := other.CoreV1().ConfigMaps("litmus").Create(ctx, forged, metav1.CreateOptions{})
	wantRefusedByPolicy(t, "another ServiceAccount creating a forged pass", err, "only that ServiceAccount")

	unlabelled := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "podcred-litmus-admin"}}
	_, err = other.CoreV1().ConfigMaps("litmus").Create(ctx, unlabelled, metav1.CreateOptions{})
	wantRefusedByPolicy(t, "another ServiceAccount pre-creating the report ConfigMap (denial of service)", err, "only that ServiceAccount")

	first := verify(t, healthy)
	second := verify(t, healthy)
	if first.code != 0 || second.code != 0 || !second.report.FinishedAt.After(first.report.FinishedAt) {
		t.Fatalf("the agent's own runs: exit %d then %d", first.code, second.code)
	}
	cm, err := adminCMs.Get(ctx, "podcred-litmus-admin", metav1.GetOptions{})
	if err != nil || cm.Annotations["podcred.io/checked-at"] != second.report.FinishedAt.UTC().Format(time.RFC3339) {
		t.Fatalf("the second run did not overwrite the first: %v %v", err, cm.Annotations)
	}

	yes := true
	cm.Immutable = &yes
	_, err = owner.CoreV1().ConfigMaps("litmus").Update(ctx, cm, metav1.UpdateOptions{})
	wantRefusedByPolicy(t, "making the verdict immutable, even as its owner", err, "must stay mutable")

	patch := []byte(`{"metadata":{"annotations":{"podcred.io/verdict":"pass"}}}`)
	_, err = other.CoreV1().Pods("litmus").Patch(ctx, "wrong-namespace-runner", types.MergePatchType, patch, metav1.PatchOptions{})
	wantRefusedByPolicy(t, "another ServiceAccount annotating a pod with a verdict", err, "may be set only by system:serviceaccount:litmus:wrong-namespace")

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "forged-verdict", Annotations: map[string]string{"podcred.io/verdict": "pass"}},
		Spec:       corev1.PodSpec{ServiceAccountName: "litmus-admin", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	_, err = as(t, controlplane.AdmissionProbeUser).CoreV1().Pods("litmus").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	wantRefusedByPolicy(t, "creating a pod that carries a verdict annotation", err, "cannot be created with podcred.io/")

	t.Run("where the policy is not installed, the gate refuses an immutable report", func(t *testing.T) {
		defer stopOnPanic()
		cm, err := adminCMs.Get(ctx, "podcred-litmus-admin", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Immutable = &yes // a cluster admin is exempt from the policy
		if _, err := adminCMs.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = adminCMs.Delete(ctx, "podcred-litmus-admin", metav1.DeleteOptions{}) }()
		wantGate(t, gate(t, healthy, "--service-account", "litmus-admin"), cli.ExitUnverified, "is immutable")
		if r := verify(t, healthy); r.code != cli.ExitUnverified {
			t.Errorf("the agent over an immutable report: exit %d, want 1 (could not publish)", r.code)
		}
	})
}

// A run that hangs or crashes after it started leaves its verdict pending,
// never the previous pass: the agent marks the ConfigMap before verifying.
func TestACrashedRunLeavesNoOldPassBehind(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	healthy := scenarioEnv(t, scenario(t, "healthy"))
	if r := verify(t, healthy); r.report.Verdict != report.VerdictPass {
		t.Fatalf("healthy: verdict %s", r.report.Verdict)
	}
	// STS that accepts connections and never answers: the run hangs in sts.assume-role.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	env := setenv(healthy, "AWS_ENDPOINT_URL_STS", "http://"+ln.Addr().String())
	requireLoopbackEndpoints(t, env)
	cmd := exec.Command(suite.bins.agent, "--format", "json", "--sink", "stdout,configmap", "--timeout", "60s",
		"--kubeconfig", getenv(env, "KUBECONFIG"))
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); suite.outputs.add("hung agent", out.Bytes()) }()

	cms := sb(t).ControlPlane().Client.CoreV1().ConfigMaps("litmus")
	pending := func(ctx context.Context) (bool, error) {
		cm, err := cms.Get(ctx, "podcred-litmus-admin", metav1.GetOptions{})
		return err == nil && cm.Labels["podcred.io/verdict"] == verdict.PendingVerdict, nil
	}
	if err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 20*time.Second, true, pending); err != nil {
		t.Fatalf("the agent never marked its verdict pending: %v", err)
	}
	_ = cmd.Process.Kill() // the crash
	_ = cmd.Wait()

	wantGate(t, gate(t, healthy, "--service-account", "litmus-admin"), cli.ExitUnverified, "has not published its verdict")
	if open, why := k8sProbeOpens(t, healthy, loadExampleProbes(t)); open {
		t.Errorf("the k8sProbe opens on a pending verdict (%s)", why)
	}
}
