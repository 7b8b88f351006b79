package e2e

import (
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

// podIdentityWorld holds the six EKS Pod Identity scenarios of issue 13.
const podIdentityWorld = "pod-identity.yaml"

// Issue 13: each Pod Identity scenario ends, through the real binaries, with
// the agent verdict and check the world file names, and preflight agrees with
// its own expectation. The outputs join the suite's secret scan, which looks
// for the Pod Identity tokens the sandbox minted and every credential moto
// issued for AssumeRoleForPodIdentity.
func TestPodIdentityScenarios(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, podIdentityWorld)
	for _, name := range []string{
		"pod-identity-healthy", "pod-identity-missing-association", "pod-identity-wrong-principal",
		"pod-identity-no-tagsession", "pod-identity-and-irsa", "pod-identity-go-v1",
	} {
		t.Run(name, func(t *testing.T) {
			defer stopOnPanic()
			sc := scenario(t, name)
			var args []string
			if sc.ExperimentSDK != "" {
				args = append(args, "--experiment-sdk", sc.ExperimentSDK)
			}
			r := verify(t, scenarioEnv(t, sc), args...)
			if got := string(r.report.Verdict); got != sc.Expect {
				t.Errorf("agent verdict %s, want %s", got, sc.Expect)
			}
			if sc.Check != "" {
				if c := r.report.Check(sc.Check); c == nil || string(c.Status) != sc.Expect {
					t.Errorf("agent check %s: %+v, want %s", sc.Check, c, sc.Expect)
				}
			}
			pargs := []string{"--cluster", suiteWorldCluster(t)}
			if sc.ExperimentSDK != "" {
				pargs = append(pargs, "--experiment-sdk", sc.ExperimentSDK)
			}
			p := preflightCheck(t, sc.Namespace, sc.ServiceAccount, pargs...)
			if got := string(p.report.Verdict); got != sc.Preflight {
				t.Errorf("preflight verdict %s, want %s", got, sc.Preflight)
			}
			if sc.PreflightCheck != "" {
				if c := p.report.Check(sc.PreflightCheck); c == nil || c.Status != report.Status(sc.Preflight) {
					t.Errorf("preflight check %s: %+v, want %s", sc.PreflightCheck, c, sc.Preflight)
				}
			}
		})
	}
}

// suiteWorldCluster is the loaded world's cluster name.
func suiteWorldCluster(t *testing.T) string {
	t.Helper()
	return suite.sb.World().Cluster.Name
}

// A Pod-Identity-only ServiceAccount's faults run with the associated role,
// so preflight simulates that role's policies: chaos-pod-identity allows
// ec2:StopInstances, ec2:StartInstances and ec2:DescribeInstances, not all
// that ec2-stop-by-id calls.
func TestPodIdentityPreflightJudgesTheAssociatedRolesPermissions(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, podIdentityWorld)
	p := preflightCheck(t, "litmus", "chaos-pi", "--cluster", suiteWorldCluster(t), "--experiment-sdk", "go-v2", "--fault", "ec2-stop-by-id")
	wantCheck(t, p, "iam.permissions", report.StatusFail, "ec2:DescribeInstanceStatus", "chaos-pod-identity")
	if c := p.report.Check("iam.role-exists"); c == nil || c.Status != report.StatusSkip {
		t.Errorf("iam.role-exists on a Pod-Identity-only SA: %+v, want skip", c)
	}
}
