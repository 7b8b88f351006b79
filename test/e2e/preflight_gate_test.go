package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// gateSA is the ServiceAccount whose ChaosEngines this test creates in
// namespace litmus; no other test's ServiceAccount sees them.
const gateSA = "gate-e2e"

var (
	engineGVR   = schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosengines"}
	workflowGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
)

// gateEngine is a ChaosEngine running ec2-terminate-by-id as gateSA whose
// podcred k8sProbe has the given runProperties (YAML flow mapping).
func gateEngine(t *testing.T, name, runProperties string) *unstructured.Unstructured {
	t.Helper()
	doc := `apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: ` + name + `, namespace: litmus}
spec:
  engineState: active
  chaosServiceAccount: ` + gateSA + `
  experiments:
    - name: ec2-terminate-by-id
      spec:
        components: {env: [{name: REGION, value: us-east-1}]}
        probe:
          - name: podcred-report-pass
            type: k8sProbe
            mode: SOT
            k8sProbe/inputs:
              group: ""
              version: v1
              resource: configmaps
              namespace: litmus
              fieldSelector: metadata.name=podcred-` + gateSA + `
              labelSelector: app.kubernetes.io/managed-by=podcred,podcred.io/service-account=` + gateSA + `,podcred.io/verdict=pass
              operation: present
            runProperties: ` + runProperties + `
`
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: obj}
}

// TestPreflightGateStopsOnlyWithStopOnFailure creates, on the sandbox
// apiserver, a ChaosEngine whose podcred probe stops chaos and one whose
// probe only records a failure: experiment.gate fails naming the second
// with a JSON patch; that patch, applied as printed, makes it pass; an
// engine without any podcred probe then makes it warn, and so does an Argo
// Workflow whose podcred-agent step runs in parallel with the chaos step.
func TestPreflightGateStopsOnlyWithStopOnFailure(t *testing.T) {
	defer stopOnPanic()
	loadInlineWorld(t, "preflight", preflightWorld(preflightRoles, preflightSAs))
	dyn, err := dynamic.NewForConfig(sb(t).ControlPlane().Config)
	if err != nil {
		t.Fatal(err)
	}
	engines := dyn.Resource(engineGVR).Namespace("litmus")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	create := func(u *unstructured.Unstructured) {
		t.Helper()
		if _, err := engines.Create(ctx, u, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatalf("create ChaosEngine %s: %v", u.GetName(), err)
		}
		t.Cleanup(func() {
			if err := engines.Delete(context.Background(), u.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete ChaosEngine %s: %v", u.GetName(), err)
			}
		})
	}
	create(gateEngine(t, "gate-e2e-stops", `{probeTimeout: "10s", interval: "5s", stopOnFailure: true}`))
	create(gateEngine(t, "gate-e2e-records", `{probeTimeout: "10s", interval: "5s"}`))

	r := preflightCheck(t, "litmus", gateSA, "--issuer", sb(t).Issuer())
	wantCheck(t, r, preflight.IDExperimentGate, report.StatusFail,
		"ChaosEngine gate-e2e-records: experiment ec2-terminate-by-id probe podcred-report-pass: runProperties.stopOnFailure is not true",
		"kubectl -n litmus patch chaosengine gate-e2e-records --type=json -p='")
	gate := r.report.Check(preflight.IDExperimentGate)
	if !strings.HasPrefix(gate.Evidence["ChaosEngine gate-e2e-stops"], "pass") {
		t.Errorf("the stopping engine is not judged pass: %v", gate.Evidence)
	}

	// Apply the remedy's patch exactly as printed.
	_, rest, ok := strings.Cut(gate.Remedy, "--type=json -p='")
	patch, _, ok2 := strings.Cut(rest, "'")
	if !ok || !ok2 {
		t.Fatalf("no JSON patch in the remedy:\n%s", gate.Remedy)
	}
	if _, err := engines.Patch(ctx, "gate-e2e-records", types.JSONPatchType, []byte(patch), metav1.PatchOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("the printed patch does not apply: %v\n%s", err, patch)
	}
	r = preflightCheck(t, "litmus", gateSA, "--issuer", sb(t).Issuer())
	wantCheck(t, r, preflight.IDExperimentGate, report.StatusPass, "ChaosEngine gate-e2e-records: gated by", "ChaosEngine gate-e2e-stops: gated by")

	bare := gateEngine(t, "gate-e2e-bare", "{}")
	unstructured.RemoveNestedField(bare.Object, "spec", "experiments")
	unstructured.SetNestedSlice(bare.Object, []any{map[string]any{"name": "ec2-terminate-by-id"}}, "spec", "experiments")
	create(bare)
	r = preflightCheck(t, "litmus", gateSA, "--issuer", sb(t).Issuer())
	wantCheck(t, r, preflight.IDExperimentGate, report.StatusWarn, "ChaosEngine gate-e2e-bare: no podcred probe",
		"deploy/examples/litmus-probes.yaml", "stopOnFailure: true")

	// An Argo Workflow whose podcred-agent step runs in parallel with the
	// step creating the ChaosEngine does not gate it.
	for _, name := range []string{"gate-e2e-stops", "gate-e2e-records", "gate-e2e-bare"} {
		if err := engines.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var wf map[string]any
	if err := yaml.Unmarshal([]byte(gateWorkflow), &wf); err != nil {
		t.Fatal(err)
	}
	workflows := dyn.Resource(workflowGVR).Namespace("litmus")
	if _, err := workflows.Create(ctx, &unstructured.Unstructured{Object: wf}, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("create Workflow (the sandbox serves argoproj.io): %v", err)
	}
	t.Cleanup(func() { _ = workflows.Delete(context.Background(), "gate-e2e", metav1.DeleteOptions{}) })
	r = preflightCheck(t, "litmus", gateSA, "--issuer", sb(t).Issuer())
	wantCheck(t, r, preflight.IDExperimentGate, report.StatusWarn,
		"Workflow gate-e2e template chaos (artifact engine): ChaosEngine gate-e2e-: podcred-agent step podcred-verify runs in the same step group as ec2-stop, in parallel")
}

// gateWorkflow runs podcred-agent as gateSA in parallel with the step that
// creates a ChaosEngine for gateSA.
const gateWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: gate-e2e, namespace: litmus}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - {name: podcred-verify, template: verify}
          - {name: ec2-stop, template: chaos}
    - name: verify
      serviceAccountName: ` + gateSA + `
      container: {image: ghcr.io/podcred/podcred-agent:latest, command: [/podcred-agent]}
    - name: chaos
      inputs:
        artifacts:
          - name: engine
            path: /tmp/engine.yaml
            raw:
              data: |
                apiVersion: litmuschaos.io/v1alpha1
                kind: ChaosEngine
                metadata: {generateName: gate-e2e-}
                spec:
                  chaosServiceAccount: ` + gateSA + `
                  experiments: [{name: ec2-terminate-by-id}]
      container: {image: litmuschaos/litmus-checker:2.11.0, args: [-file=/tmp/engine.yaml]}
`
