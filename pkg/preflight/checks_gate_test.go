package preflight

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/pkg/report"
)

// gateFactsFrom decodes a YAML stream of ChaosEngines, Workflows and
// WorkflowTemplates and builds the facts experiment.gate judges for
// litmus/litmus-admin, through the same reader Collect uses.
func gateFactsFrom(t *testing.T, stream string) Facts {
	t.Helper()
	var engines, workflows []unstructured.Unstructured
	for _, doc := range splitYAMLDocs(stream) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("fixture does not parse: %v\n%s", err, doc)
		}
		u := unstructured.Unstructured{Object: obj}
		switch u.GetKind() {
		case kindChaosEngine:
			engines = append(engines, u)
		case kindWorkflow, kindWorkflowTemplate:
			workflows = append(workflows, u)
		}
	}
	return Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Gate: gateFactOf(engines, workflows, "litmus-admin", "")}
}

// engineWith is ChaosEngine e running ec2-stop-by-id as litmus-admin with
// the given probe list items (YAML, indented as list items under probe:).
func engineWith(probes string) string {
	s := `apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: e, namespace: litmus}
spec:
  chaosServiceAccount: litmus-admin
  experiments:
    - name: ec2-stop-by-id
      spec:
        components: {env: [{name: REGION, value: us-east-1}]}
`
	if probes != "" {
		s += "        probe:\n" + probes
	}
	return s
}

// k8sGate is a podcred k8sProbe; the arguments replace its mode, label
// selector and run properties.
func k8sGate(mode, labelSelector, runProperties string) string {
	return `          - name: podcred-report-pass
            type: k8sProbe
            mode: ` + mode + `
            k8sProbe/inputs:
              group: ""
              version: v1
              resource: configmaps
              namespace: litmus
              fieldSelector: metadata.name=podcred-litmus-admin
              labelSelector: "` + labelSelector + `"
              operation: present
` + runProperties
}

const (
	passSelector = "app.kubernetes.io/managed-by=podcred,podcred.io/service-account=litmus-admin,podcred.io/verdict=pass"
	stopping     = "            runProperties: {probeTimeout: 10s, interval: 5s, stopOnFailure: true}\n"
	recording    = "            runProperties: {probeTimeout: 10s, interval: 5s}\n"
)

// gateCase is an engine's probe list and what experiment.gate must say.
type gateCase struct {
	name   string
	probes string
	want   report.Status
	has    []string // substrings of message + remedy
}

func runGateCases(t *testing.T, cases []gateCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkExperimentGate(gateFactsFrom(t, engineWith(c.probes)))
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

func TestExperimentGateJudgesK8sProbes(t *testing.T) {
	runGateCases(t, []gateCase{
		{"a SOT k8sProbe with stopOnFailure gates", k8sGate("SOT", passSelector, stopping), report.StatusPass,
			[]string{"probe podcred-report-pass (k8sProbe, mode SOT, stopOnFailure)"}},
		{"an Edge k8sProbe with stopOnFailure gates", k8sGate("Edge", passSelector, stopping), report.StatusPass, nil},
		{"a set-based in (pass,warn) selector gates", k8sGate("SOT", "app.kubernetes.io/managed-by=podcred,podcred.io/service-account=litmus-admin,podcred.io/verdict in (pass,warn)", stopping),
			report.StatusPass, nil},
		{"a == selector gates", k8sGate("SOT", "app.kubernetes.io/managed-by=podcred,podcred.io/verdict==pass", stopping), report.StatusPass, nil},
		{"without stopOnFailure the fault is injected anyway", k8sGate("SOT", passSelector, recording), report.StatusFail,
			[]string{"ChaosEngine e: experiment ec2-stop-by-id probe podcred-report-pass: runProperties.stopOnFailure is not true",
				`kubectl -n litmus patch chaosengine e --type=json -p='[{"op":"add","path":"/spec/experiments/0/spec/probe/0/runProperties/stopOnFailure","value":true}]'`,
				"stopOnFailure: true"}},
		{"stopOnFailure false is replaced", k8sGate("SOT", passSelector, "            runProperties: {probeTimeout: 10s, stopOnFailure: false}\n"), report.StatusFail,
			[]string{`{"op":"replace","path":"/spec/experiments/0/spec/probe/0/runProperties/stopOnFailure","value":true}`}},
		{"without runProperties they are added", k8sGate("SOT", passSelector, ""), report.StatusFail,
			[]string{`{"op":"add","path":"/spec/experiments/0/spec/probe/0/runProperties","value":{"stopOnFailure":true}}`}},
		{"a Continuous probe does not block the injection", k8sGate("Continuous", passSelector, stopping), report.StatusFail,
			[]string{"mode Continuous runs in the background", `{"op":"replace","path":"/spec/experiments/0/spec/probe/0/mode","value":"SOT"}`}},
		{"an EOT probe runs after the fault", k8sGate("EOT", passSelector, recording), report.StatusFail,
			[]string{"mode EOT runs after the fault", `"path":"/spec/experiments/0/spec/probe/0/mode"`, `"path":"/spec/experiments/0/spec/probe/0/runProperties/stopOnFailure"`}},
		{"resourceNames make litmus-go ignore the label selector",
			strings.Replace(k8sGate("SOT", passSelector, stopping), "operation: present", "operation: present\n              resourceNames: podcred-litmus-admin", 1),
			report.StatusFail, []string{"resourceNames is set", `{"op":"remove","path":"/spec/experiments/0/spec/probe/0/k8sProbe~1inputs/resourceNames"}`}},
		{"a selector without the verdict lets a fail report pass", k8sGate("SOT", "app.kubernetes.io/managed-by=podcred", stopping), report.StatusFail,
			[]string{"does not require podcred.io/verdict=pass", `"path":"/spec/experiments/0/spec/probe/0/k8sProbe~1inputs/labelSelector","value":"` + passSelector + `"`}},
		{"verdict!=fail still opens on a missing verdict", k8sGate("SOT", "app.kubernetes.io/managed-by=podcred,podcred.io/verdict!=fail", stopping), report.StatusFail,
			[]string{"does not require podcred.io/verdict=pass"}},
		{"verdict in (pass,fail) opens on fail", k8sGate("SOT", "app.kubernetes.io/managed-by=podcred,podcred.io/verdict in (pass,fail)", stopping), report.StatusFail, nil},
		{"operation absent inverts the gate", strings.Replace(k8sGate("SOT", passSelector, stopping), "operation: present", "operation: absent", 1), report.StatusFail,
			[]string{`operation is "absent"`, `{"op":"replace","path":"/spec/experiments/0/spec/probe/0/k8sProbe~1inputs/operation","value":"present"}`}},
		{"a selector pinning no ServiceAccount opens on another SA's pass",
			strings.Replace(k8sGate("SOT", "app.kubernetes.io/managed-by=podcred,podcred.io/verdict=pass", stopping), "fieldSelector: metadata.name=podcred-litmus-admin", "fieldSelector: \"\"", 1),
			report.StatusFail, []string{"selects no single ServiceAccount's report"}},
		{"a probe on another SA's report does not vouch for this one",
			strings.Replace(k8sGate("SOT", passSelector, stopping), "podcred-litmus-admin", "podcred-other", 1), report.StatusFail,
			[]string{"reads ConfigMap podcred-other, not podcred-litmus-admin"}},
	})
}

func TestExperimentGateJudgesCmdProbesAndMissingGates(t *testing.T) {
	runGateCases(t, []gateCase{
		{"a cmdProbe running podcred-agent gate with stopOnFailure gates", `          - name: podcred-gate
            type: cmdProbe
            mode: SOT
            cmdProbe/inputs:
              command: 'podcred-agent gate --service-account litmus-admin --max-age 1h 2>&1; echo "podcred-gate-exit=$?"'
              comparator: {type: string, criteria: matches, value: 'podcred-gate-exit=0$'}
` + stopping, report.StatusPass, []string{"probe podcred-gate (cmdProbe, mode SOT, stopOnFailure)"}},
		{"a cmdProbe gate without stopOnFailure does not stop", `          - name: podcred-gate
            type: cmdProbe
            mode: Edge
            cmdProbe/inputs: {command: podcred-agent gate --service-account litmus-admin}
` + recording, report.StatusFail, []string{"probe podcred-gate: runProperties.stopOnFailure is not true"}},
		{"a cmdProbe gating another ServiceAccount does not vouch", `          - name: podcred-gate
            type: cmdProbe
            mode: SOT
            cmdProbe/inputs: {command: podcred-agent gate --service-account other}
` + stopping, report.StatusFail, []string{"gates on ServiceAccount other, not litmus-admin", "podcred-agent gate --service-account litmus-admin"}},
		{"no probe at all is a warning with the probe to add", "", report.StatusWarn,
			[]string{"ChaosEngine e: no podcred probe", "deploy/examples/litmus-probes.yaml",
				`kubectl -n litmus patch chaosengine e --type=json -p='[{"op":"add","path":"/spec/experiments/0/spec/probe","value":[{`,
				`"stopOnFailure":true`, "fieldSelector: metadata.name=podcred-litmus-admin"}},
		{"an unrelated probe does not gate", `          - name: app-up
            type: httpProbe
            mode: SOT
            runProperties: {stopOnFailure: true}
`, report.StatusWarn, []string{`{"op":"add","path":"/spec/experiments/0/spec/probe/-","value":{`}},
	})
}

func TestExperimentGateNeedsAGateInEveryExperiment(t *testing.T) {
	stream := engineWith(k8sGate("SOT", passSelector, stopping)) + `    - name: ebs-loss-by-id
      spec:
        probe: []
`
	got := checkExperimentGate(gateFactsFrom(t, stream))
	if got.Status != report.StatusWarn || !strings.Contains(got.Message, "for experiment ebs-loss-by-id") ||
		!strings.Contains(got.Remedy, `"path":"/spec/experiments/1/spec/probe/-"`) || strings.Contains(got.Remedy, "/spec/experiments/0/") {
		t.Fatalf("%s: %s\n%s", got.Status, got.Message, got.Remedy)
	}
}

func TestExperimentGateSkipsWithNothingToJudge(t *testing.T) {
	cases := []struct {
		name string
		f    Facts
		want string
	}{
		{"chaos not read", Facts{Namespace: "litmus", ServiceAccount: "litmus-admin"}, "were not read"},
		{"no engine", Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Gate: &GateFact{ArgoAbsent: true}},
			"no ChaosEngine or Argo workflow in litmus runs as ServiceAccount litmus-admin"},
		{"engine of another ServiceAccount", gateFactsFrom(t, strings.Replace(engineWith(""), "chaosServiceAccount: litmus-admin", "chaosServiceAccount: other", 1)),
			"no ChaosEngine"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkExperimentGate(c.f); got.Status != report.StatusSkip || !strings.Contains(got.Message, c.want) {
				t.Fatalf("%s: %s", got.Status, got.Message)
			}
		})
	}
}

func TestExperimentGateErrorsWhenObjectsCannotBeRead(t *testing.T) {
	forbidden := errors.New(`chaosengines.litmuschaos.io is forbidden: User "dev" cannot list resource`)
	for name, g := range map[string]*GateFact{
		"engines unreadable":   {Err: forbidden},
		"workflows unreadable": {ArgoErr: forbidden},
	} {
		t.Run(name, func(t *testing.T) {
			got := checkExperimentGate(Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Gate: g})
			if got.Status != report.StatusError || !strings.Contains(got.Message, "forbidden") || !strings.Contains(got.Remedy, "may list") {
				t.Fatalf("%s: %s / %s", got.Status, got.Message, got.Remedy)
			}
		})
	}
	// A probe that does not stop chaos is a failure even when workflows could not be read.
	f := gateFactsFrom(t, engineWith(k8sGate("SOT", passSelector, recording)))
	f.Gate.ArgoErr = forbidden
	if got := checkExperimentGate(f); got.Status != report.StatusFail {
		t.Fatalf("%s: %s", got.Status, got.Message)
	}
}
