package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/pkg/report"
)

// exampleProbes are the podcred probes of deploy/examples/litmus-probes.yaml,
// as Litmus reads them from the ChaosEngine.
type exampleProbes struct {
	k8s struct {
		Group, Version, Resource, Namespace, FieldSelector, LabelSelector, Operation string
	}
	command, matches string
}

func loadExampleProbes(t *testing.T) exampleProbes {
	t.Helper()
	docs, err := deploy.Documents("examples/litmus-probes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var engine struct {
		Spec struct {
			Experiments []struct {
				Spec struct {
					Probe []struct {
						Type          string
						K8s           json.RawMessage `json:"k8sProbe/inputs"`
						Cmd           json.RawMessage `json:"cmdProbe/inputs"`
						RunProperties struct{ StopOnFailure bool }
					}
				}
			}
		}
	}
	for _, d := range docs {
		if deploy.KindOf(d) == "ChaosEngine" {
			if err := yaml.Unmarshal(d, &engine); err != nil {
				t.Fatal(err)
			}
		}
	}
	var p exampleProbes
	for _, e := range engine.Spec.Experiments {
		for _, pr := range e.Spec.Probe {
			if !pr.RunProperties.StopOnFailure {
				t.Errorf("probe of type %s lacks stopOnFailure: true", pr.Type)
			}
			switch pr.Type {
			case "k8sProbe":
				_ = json.Unmarshal(pr.K8s, &p.k8s)
			case "cmdProbe":
				var in struct {
					Command    string
					Comparator struct{ Criteria, Value string }
				}
				_ = json.Unmarshal(pr.Cmd, &in)
				if in.Comparator.Criteria != "matches" {
					t.Fatalf("cmdProbe comparator %q: this test replays 'matches'", in.Comparator.Criteria)
				}
				p.command, p.matches = in.Command, in.Comparator.Value
			}
		}
	}
	if p.k8s.Operation != "present" || p.command == "" {
		t.Fatalf("litmus-probes.yaml: k8sProbe %+v, cmdProbe %q", p.k8s, p.command)
	}
	return p
}

// k8sProbeOpens makes the call litmus-go's k8sProbe makes for operation
// `present` (pkg/probe/k8sprobe.go, resourcesPresent: a dynamic List with
// the probe's field and label selectors; no items or an error fails it), as
// the experiment's ServiceAccount (the pod's kubeconfig).
func k8sProbeOpens(t *testing.T, env []string, p exampleProbes) (bool, string) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", getenv(env, "KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: p.k8s.Group, Version: p.k8s.Version, Resource: p.k8s.Resource}
	list, err := dyn.Resource(gvr).Namespace(p.k8s.Namespace).List(t.Context(),
		metav1.ListOptions{FieldSelector: p.k8s.FieldSelector, LabelSelector: p.k8s.LabelSelector})
	if err != nil {
		return false, err.Error()
	}
	names := make([]string, len(list.Items))
	for i := range list.Items {
		names[i] = list.Items[i].GetName()
	}
	return len(names) > 0, "items: " + strings.Join(names, ",")
}

// cmdProbeOpens runs the cmdProbe's command as litmus-go's source mode does
// (pkg/probe/cmdprobe.go: `/bin/sh -c <command>`, trimmed stdout compared
// with the 'matches' regex), in an environment with the podcred binaries on
// PATH and the experiment ServiceAccount's credentials.
func cmdProbeOpens(t *testing.T, env []string, p exampleProbes) (bool, string) {
	t.Helper()
	env = setenv(env, "PATH", filepath.Dir(suite.bins.agent)+":/usr/bin:/bin")
	requireLoopbackEndpoints(t, env)
	suite.outputs.giveSecrets(env)
	cmd := exec.CommandContext(t.Context(), "/bin/sh", "-c", strings.Replace(p.command, "podcred-agent", filepath.Base(suite.bins.agent), 1))
	cmd.Env = env
	out, err := cmd.Output()
	suite.outputs.add("cmdProbe", out)
	if err != nil {
		t.Fatalf("the cmdProbe command itself failed (Litmus would retry, then fail the probe): %v", err)
	}
	got := strings.TrimSpace(string(out))
	return regexp.MustCompile(p.matches).MatchString(got), got
}

// The gate contract, replayed for each gate form on the real apiserver as the
// experiment's ServiceAccount, under the RBAC deploy/ ships: the Litmus
// k8sProbe's exact list call and the cmdProbe's exact command, from
// litmus-probes.yaml, for pass / warn / fail / pending / missing / stale /
// forged reports.
func TestEveryGateFormFollowsTheContract(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	applyShipped(t, "examples/litmus-probes.yaml", "Role", "RoleBinding") // the probes' RBAC, as shipped
	probes := loadExampleProbes(t)
	healthy := scenarioEnv(t, scenario(t, "healthy"))
	admin := sb(t).ControlPlane().Client.CoreV1().ConfigMaps("litmus")
	ownRole := "arn:aws:iam::" + sb(t).World().Account + ":role/chaos-ec2"

	forge := func(t *testing.T, edit func(*report.Report, *corev1.ConfigMap)) {
		t.Helper()
		// A cluster admin is exempt from the admission policy: this is what any
		// writer could do where the policy is not installed.
		cm, err := admin.Get(t.Context(), "podcred-litmus-admin", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var r report.Report
		if err := json.Unmarshal([]byte(cm.Data["report.json"]), &r); err != nil {
			t.Fatal(err)
		}
		edit(&r, cm)
		r.Verdict = report.Aggregate(r.Checks)
		b, _ := report.MarshalJSON(&r)
		cm.Data = map[string]string{"report.json": string(b), "verdict": string(r.Verdict)}
		cm.Labels["podcred.io/verdict"] = string(r.Verdict)
		cm.Annotations["podcred.io/checked-at"] = r.FinishedAt.UTC().Format(time.RFC3339)
		if _, err := admin.Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	freshPass := func(t *testing.T) {
		t.Helper()
		if r := verify(t, healthy); r.report.Verdict != report.VerdictPass {
			t.Fatalf("healthy: verdict %s: %s", r.report.Verdict, findings(r.report))
		}
	}

	for _, tc := range []struct {
		name          string
		prepare       func(t *testing.T)
		k8sOpens      bool
		cmdOpens      bool
		cmdSays       string
		limitationWhy string // when the k8sProbe opens where the gate does not
	}{
		{name: "a fresh pass opens every gate", prepare: freshPass, k8sOpens: true, cmdOpens: true, cmdSays: "podcred: pass"},
		{name: "a fresh warn opens every gate (the agent exits 0 on warn)", prepare: func(t *testing.T) {
			// A leftover credentials file with static keys (AWS's documented example keys): creds.shared-file warns.
			file := filepath.Join(t.TempDir(), "cloud_config.yml")
			keys := "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
			if err := os.WriteFile(file, []byte(keys), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := verify(t, setenv(healthy, "AWS_SHARED_CREDENTIALS_FILE", file)); r.report.Verdict != report.VerdictWarn {
				t.Fatalf("verdict %s: %s", r.report.Verdict, findings(r.report))
			}
		}, k8sOpens: true, cmdOpens: true, cmdSays: "podcred: warn"},
		{name: "a fail keeps every gate shut", prepare: func(t *testing.T) {
			// The token can assume the role it is told to stay away from: isolation.cross-role fails.
			if r := verify(t, healthy, "--deny-role-arn", ownRole); r.report.Verdict != report.VerdictFail {
				t.Fatalf("verdict %s", r.report.Verdict)
			}
		}, cmdSays: "verdict fail: failing checks isolation.cross-role"},
		{name: "a missing report keeps every gate shut", prepare: func(t *testing.T) {
			if err := admin.Delete(t.Context(), "podcred-litmus-admin", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}, cmdSays: "not found"},
		{name: "a pass older than --max-age keeps the cmdProbe shut", prepare: func(t *testing.T) {
			freshPass(t)
			forge(t, func(r *report.Report, _ *corev1.ConfigMap) {
				r.StartedAt, r.FinishedAt, r.ExpiresAt = r.StartedAt.Add(-2*time.Hour), r.FinishedAt.Add(-2*time.Hour), nil
			})
		}, k8sOpens: true, cmdSays: "over the 1h0m0s max age", limitationWhy: "a label selector cannot compare times"},
		{name: "a forged one-check pass keeps the cmdProbe shut", prepare: func(t *testing.T) {
			forge(t, func(r *report.Report, _ *corev1.ConfigMap) {
				r.Checks = []report.Check{{ID: "anything", Status: report.StatusPass}}
			})
		}, k8sOpens: true, cmdSays: "not a real verification", limitationWhy: "labels say pass; the admission policy is what stops this forgery"},
		{name: "an all-skip pass keeps the cmdProbe shut", prepare: func(t *testing.T) {
			freshPass(t)
			forge(t, func(r *report.Report, _ *corev1.ConfigMap) {
				for i := range r.Checks {
					r.Checks[i].Status = report.StatusSkip
				}
			})
		}, k8sOpens: true, cmdSays: "nothing was proven", limitationWhy: "labels say pass"},
		{name: "a pass dated ten years ahead keeps the cmdProbe shut", prepare: func(t *testing.T) {
			freshPass(t)
			forge(t, func(r *report.Report, _ *corev1.ConfigMap) {
				r.StartedAt, r.FinishedAt, r.ExpiresAt = r.StartedAt.AddDate(10, 0, 0), r.FinishedAt.AddDate(10, 0, 0), nil
			})
		}, k8sOpens: true, cmdSays: "in the future", limitationWhy: "a label selector cannot compare times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			tc.prepare(t)
			k8s, k8sWhy := k8sProbeOpens(t, healthy, probes)
			cmd, cmdOut := cmdProbeOpens(t, healthy, probes)
			if k8s != tc.k8sOpens {
				t.Errorf("k8sProbe opens = %v, want %v (%s; %s)", k8s, tc.k8sOpens, k8sWhy, tc.limitationWhy)
			}
			if cmd != tc.cmdOpens || !strings.Contains(cmdOut, tc.cmdSays) {
				t.Errorf("cmdProbe opens = %v saying %q; want %v saying %q", cmd, cmdOut, tc.cmdOpens, tc.cmdSays)
			}
		})
	}
}

// wantGate asserts the gate's exit code and that it says phrase.
func wantGate(t *testing.T, r *agentRun, code int, phrase string) {
	t.Helper()
	out := string(r.stdout) + string(r.stderr)
	if r.code != code || !strings.Contains(out, phrase) {
		t.Errorf("gate %s: exit %d, want %d saying %q:\n%s", strings.Join(r.args[3:], " "), r.code, code, phrase, out)
	}
}
