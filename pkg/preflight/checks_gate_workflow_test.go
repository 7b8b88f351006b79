package preflight

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

// workflow is a Workflow whose entrypoint runs the step groups given
// (YAML, under steps:), with templates verify (podcred-agent as
// litmus-admin), gate-as-argo (podcred-agent gate, run as argo-chaos),
// verify-as-argo, and chaos (creates a ChaosEngine with the given probes).
func workflow(kind, groups, probes string) string {
	engine := strings.ReplaceAll(engineWith(probes), "\n", "\n                ")
	return `apiVersion: argoproj.io/v1alpha1
kind: ` + kind + `
metadata: {name: wf, namespace: litmus}
spec:
  entrypoint: main
  serviceAccountName: argo-chaos
  arguments:
    parameters: [{name: adminModeNamespace, value: litmus}]
  templates:
    - name: main
      steps:
` + groups + `
    - name: verify
      serviceAccountName: litmus-admin
      container: {image: ghcr.io/podcred/podcred-agent:latest, command: [/podcred-agent], args: [--sink, configmap]}
    - name: verify-as-argo
      container: {image: ghcr.io/podcred/podcred-agent:latest, command: [/podcred-agent]}
    - name: gate-as-argo
      container: {image: example.com/tools:1, command: [podcred-agent], args: [gate, --service-account, litmus-admin]}
    - name: install
      container: {image: litmuschaos/k8s:2.11.0, command: [sh, -c], args: [kubectl apply -f /tmp/]}
    - name: chaos
      inputs:
        artifacts:
          - name: engine
            path: /tmp/engine.yaml
            raw:
              data: |
                ` + engine + `
      container: {image: litmuschaos/litmus-checker:2.11.0, args: [-file=/tmp/engine.yaml]}
`
}

func TestExperimentGateJudgesArgoWorkflows(t *testing.T) {
	cases := []struct {
		name, kind, groups, probes string
		want                       report.Status
		has                        []string
	}{
		{"a podcred step in an earlier group gates", kindWorkflow, `
        - [{name: install, template: install}, {name: podcred-verify, template: verify}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusPass,
			[]string{"Workflow wf template chaos (artifact engine): ChaosEngine e: gated by the workflow: step podcred-verify (group 1) runs podcred-agent before step ec2-stop (group 2)"}},
		{"a WorkflowTemplate is judged the same way", kindWorkflowTemplate, `
        - [{name: podcred-verify, template: verify}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusPass, []string{"WorkflowTemplate wf template chaos"}},
		{"a podcred step in the same group runs in parallel", kindWorkflow, `
        - [{name: podcred-verify, template: verify}, {name: ec2-stop, template: chaos}]`, "", report.StatusWarn,
			[]string{"podcred-agent step podcred-verify runs in the same step group as ec2-stop, in parallel", "podcred-agent step in a step group before", "stopOnFailure: true"}},
		{"a podcred step that may fail does not gate", kindWorkflow, `
        - [{name: podcred-verify, template: verify, continueOn: {failed: true}}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusWarn, []string{"step podcred-verify has continueOn.failed: true"}},
		{"an agent run as another ServiceAccount proves nothing about this one", kindWorkflow, `
        - [{name: podcred-verify, template: verify-as-argo}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusWarn, []string{"runs podcred-agent as ServiceAccount argo-chaos, not litmus-admin"}},
		{"podcred-agent gate for the ServiceAccount may run as any ServiceAccount", kindWorkflow, `
        - [{name: podcred-gate, template: gate-as-argo}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusPass, []string{"step podcred-gate (group 1)"}},
		{"no podcred step and no probe", kindWorkflow, `
        - [{name: install, template: install}]
        - [{name: ec2-stop, template: chaos}]`, "", report.StatusWarn, []string{"no podcred-agent step runs before step ec2-stop of template main"}},
		{"the embedded engine's own stopping probe gates", kindWorkflow, `
        - [{name: ec2-stop, template: chaos}]`, k8sGate("SOT", passSelector, stopping), report.StatusPass, []string{"gated by experiment ec2-stop-by-id probe podcred-report-pass"}},
		{"a podcred probe that does not stop fails even behind a podcred step", kindWorkflow, `
        - [{name: podcred-verify, template: verify}]
        - [{name: ec2-stop, template: chaos}]`, k8sGate("SOT", passSelector, recording), report.StatusFail,
			[]string{"runProperties.stopOnFailure is not true", "in Workflow wf template chaos (artifact engine), replace each probe", "stopOnFailure: true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkExperimentGate(gateFactsFrom(t, workflow(c.kind, c.groups, c.probes)))
			text := got.Message + "\n" + got.Remedy
			if got.Status != c.want {
				t.Fatalf("status %s, want %s:\n%s", got.Status, c.want, text)
			}
			for _, w := range c.has {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestExperimentGateFollowsNestedStepsAndInitContainers(t *testing.T) {
	nested := strings.Replace(workflow(kindWorkflow, `
        - [{name: podcred-verify, template: verify}]
        - [{name: run, template: inner}]`, ""), "    - name: verify\n", `    - name: inner
      steps:
        - [{name: install, template: install}]
        - [{name: ec2-stop, template: chaos}]
    - name: verify
`, 1)
	if got := checkExperimentGate(gateFactsFrom(t, nested)); got.Status != report.StatusPass {
		t.Errorf("nested steps after the agent: %s: %s", got.Status, got.Message)
	}
	initGated := strings.Replace(workflow(kindWorkflow, `
        - [{name: ec2-stop, template: chaos}]`, ""), "      container: {image: litmuschaos/litmus-checker", `      serviceAccountName: litmus-admin
      initContainers: [{name: podcred, image: ghcr.io/podcred/podcred-agent:latest}]
      container: {image: litmuschaos/litmus-checker`, 1)
	got := checkExperimentGate(gateFactsFrom(t, initGated))
	if got.Status != report.StatusPass || !strings.Contains(got.Message, "init container podcred of template chaos") {
		t.Errorf("init container: %s: %s", got.Status, got.Message)
	}
}

func TestExperimentGateTrustsAStoredEngineCreatedBehindAPodcredStep(t *testing.T) {
	wf := workflow(kindWorkflow, `
        - [{name: podcred-verify, template: verify}]
        - [{name: ec2-stop, template: chaos}]`, "")
	created := strings.Replace(engineWith(""), "metadata: {name: e, namespace: litmus}", "metadata: {name: e-x1, namespace: litmus, labels: {workflow_name: wf}}", 1)
	got := checkExperimentGate(gateFactsFrom(t, wf+"---\n"+created))
	if got.Status != report.StatusPass || !strings.Contains(got.Message, "ChaosEngine e-x1: created by Workflow wf after its podcred-agent step") {
		t.Fatalf("%s: %s", got.Status, got.Message)
	}
	parallel := strings.Replace(wf, "        - [{name: podcred-verify, template: verify}]\n        - [{name: ec2-stop", "        - [{name: podcred-verify, template: verify}, {name: ec2-stop", 1)
	if got := checkExperimentGate(gateFactsFrom(t, parallel+"---\n"+created)); got.Status != report.StatusWarn {
		t.Fatalf("engine of a workflow that does not gate: %s: %s", got.Status, got.Message)
	}
}

// The shipped examples (deploy/examples) must gate: every podcred probe
// with stopOnFailure: true in a pre-chaos mode. Without stopOnFailure — as
// they were before issue 8 — the same files must fail.
func TestExperimentGateOnTheShippedExamples(t *testing.T) {
	var stream []string
	for _, name := range []string{"litmus-probes.yaml", "litmus-workflow.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, string(b))
	}
	shipped := strings.Join(stream, "\n---\n")
	t.Run("as shipped they pass", func(t *testing.T) {
		got := checkExperimentGate(gateFactsFrom(t, shipped))
		if got.Status != report.StatusPass {
			t.Fatalf("%s: %s\n%s", got.Status, got.Message, got.Remedy)
		}
		for _, engine := range []string{"ChaosEngine podcred-gated-ec2-stop", "Workflow podcred-gated-ec2-stop template ec2-stop-by-id (artifact ec2-stop-by-id): ChaosEngine ec2-stop-by-id"} {
			if !strings.HasPrefix(got.Evidence[engine], "pass") {
				t.Errorf("%s not judged pass: %v", engine, got.Evidence)
			}
		}
	})
	t.Run("without stopOnFailure they fail", func(t *testing.T) {
		var kept []string
		for _, line := range strings.Split(shipped, "\n") {
			if !strings.Contains(line, "stopOnFailure:") {
				kept = append(kept, line)
			}
		}
		got := checkExperimentGate(gateFactsFrom(t, strings.Join(kept, "\n")))
		if got.Status != report.StatusFail {
			t.Fatalf("%s: %s", got.Status, got.Message)
		}
		for _, w := range []string{"probe podcred-report-pass: runProperties.stopOnFailure is not true", "probe podcred-gate: runProperties.stopOnFailure is not true",
			"kubectl -n litmus patch chaosengine podcred-gated-ec2-stop", "in Workflow podcred-gated-ec2-stop template ec2-stop-by-id"} {
			if !strings.Contains(got.Message+got.Remedy, w) {
				t.Errorf("lacks %q:\n%s\n%s", w, got.Message, got.Remedy)
			}
		}
	})
}
