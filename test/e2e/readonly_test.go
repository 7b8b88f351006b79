package e2e

import (
	"os/exec"
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

// The agent runs with a read-only root filesystem, as deploy/job.yaml asks
// (readOnlyRootFilesystem: true): here in a private mount namespace whose /
// is remounted read-only, so nothing outside that namespace changes.
func TestAgentWorksOnAReadOnlyRootFilesystem(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (util-linux) is needed to run the agent on a read-only root: %v", err)
	}
	env := scenarioEnv(t, scenario(t, "healthy"))
	requireLoopbackEndpoints(t, env)
	suite.outputs.giveSecrets(env)
	script := `mount -o remount,bind,ro / && ! touch /podcred-rw-probe 2>/dev/null && exec "$0" "$@"`
	p := runProcess(t, "podcred-agent (read-only root)", agentDeadline, env, unshare, "--mount", "--propagation", "private", "sh", "-c", script,
		suite.bins.agent, "--format", "json", "--sink", "stdout,configmap,annotation,event", "--kubeconfig", getenv(env, "KUBECONFIG"))
	if p.code != 0 {
		t.Fatalf("agent on a read-only root: exit %d\nstderr: %s", p.code, p.stderr)
	}
	r, err := decodeOneReport(p.stdout)
	if err != nil {
		t.Fatalf("stdout: %v\n%s", err, p.stdout)
	}
	if r.Verdict != report.VerdictPass {
		t.Errorf("verdict %s on a read-only root, want pass: %s", r.Verdict, findings(r))
	}
	suite.outputs.snapshotNamespace(t, getenv(env, "POD_NAMESPACE"))
}
