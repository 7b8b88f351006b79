package lint

import (
	"context"
	"testing"

	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// The shipped manifests are the fixed set-up: lint finds nothing wrong in
// them, and it does judge their gates (the ChaosEngine with podcred probes,
// the Argo workflow with a podcred-agent step).
func TestLintPassesEverythingDeployShips(t *testing.T) {
	res := Run(context.Background(), Options{Paths: []string{"../../deploy"}, Issuer: kIssuer, Root: "../.."})
	if len(res.Errors) > 0 {
		t.Fatalf("file errors: %v", res.Errors)
	}
	if f := findings(res); len(f) > 0 {
		t.Errorf("findings in deploy/: %v", f)
	}
	gate := reportOf(t, res, "litmus", "litmus-admin").Check(preflight.IDExperimentGate)
	if gate.Status != report.StatusPass || gate.Evidence["ChaosEngine podcred-gated-ec2-stop"] == "" {
		t.Errorf("experiment.gate over deploy/examples: %+v", gate)
	}
	if gate.Location == nil || gate.Location.File != "deploy/examples/litmus-probes.yaml" {
		t.Errorf("experiment.gate located at %+v", gate.Location)
	}
}
