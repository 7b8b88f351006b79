package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/podcred/podcred/pkg/report"
)

// sarifSchema compiles the official SARIF 2.1.0 schema (testdata/README.md).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sarifOf(t *testing.T, res Result) []byte {
	t.Helper()
	run := report.SARIFRun{Tool: report.Tool{Name: "podcred-preflight", Version: "test"}, InfoURI: "https://github.com/podcred/podcred", Rules: Rules(), Reports: res.Reports}
	for _, e := range res.Errors {
		run.Notices = append(run.Notices, report.SARIFNotice{File: e.File, Message: e.Error()})
	}
	var b bytes.Buffer
	if err := report.RenderSARIF(&b, run); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID, HelpURI string
					Help        struct{ Text string }
					Properties  struct{ Tags []string }
				}
			}
		}
		Results []struct {
			RuleID, Level string
			Message       struct{ Text string }
			Locations     []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine int }
				}
			}
			PartialFingerprints map[string]string
		}
	}
}

func TestLintSARIFIsValidSARIF210WithRulesLocationsAndFingerprints(t *testing.T) {
	schema := sarifSchema(t)
	dir := renderWorld(t, "../../examples/worlds/demo.yaml")
	writeFile(t, filepath.Join(dir, "k8s", "broken.yaml"), "kind: [unclosed\n")
	res := Run(context.Background(), Options{Paths: []string{dir}, Issuer: worldIssuer, Root: dir})
	out := sarifOf(t, res)
	if err := validate(t, schema, out); err != nil {
		t.Fatalf("lint's SARIF is not valid SARIF 2.1.0: %v\n%s", err, out)
	}
	// The validator is not vacuous: a log without its version is refused.
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	delete(m, "version")
	broken, _ := json.Marshal(m)
	if validate(t, schema, broken) == nil {
		t.Fatal("the schema accepts a SARIF log without a version")
	}
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("want one run: %v", err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(Rules()) || run.Tool.Driver.Rules[0].HelpURI == "" || len(run.Tool.Driver.Rules[0].Properties.Tags) == 0 {
		t.Errorf("rules incomplete: %+v", run.Tool.Driver.Rules)
	}
	got := map[string]bool{}
	for _, r := range run.Results {
		loc := r.Locations[0].PhysicalLocation
		if strings.HasPrefix(loc.ArtifactLocation.URI, "/") || loc.Region.StartLine < 1 || r.PartialFingerprints[report.SARIFFingerprintKey] == "" {
			t.Errorf("result %s: location %+v, fingerprints %v", r.RuleID, loc, r.PartialFingerprints)
		}
		got[r.RuleID+"@"+loc.ArtifactLocation.URI+"="+r.Level] = true
	}
	for _, want := range []string{
		"trust.subject@iam/chaos-wrong-namespace.json=error",
		"trust.subject-scoped@iam/chaos-unscoped.json=error",
		"trust.operators@iam/chaos-wildcard-equals.json=error",
		"experiment.cloud-secret@k8s/litmus-legacy.yaml=error",
		"experiment.gate@k8s/litmus-legacy.yaml=error",
		"trust.subject-scoped@iam/chaos-wildcard-like.json=warning",
	} {
		if !got[want] {
			t.Errorf("no result %s in %v", want, got)
		}
	}
}

// fingerprints maps each result's fingerprint to its rule and start line.
func fingerprints(t *testing.T, out []byte) map[string]int {
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	fp := map[string]int{}
	for _, r := range log.Runs[0].Results {
		fp[r.RuleID+" "+r.PartialFingerprints[report.SARIFFingerprintKey]] = r.Locations[0].PhysicalLocation.Region.StartLine
	}
	return fp
}

func TestSARIFFingerprintsAreStableAcrossRunsAndMovedLines(t *testing.T) {
	dir := renderWorld(t, "../../examples/worlds/demo.yaml")
	opts := Options{Paths: []string{dir}, Issuer: worldIssuer, Root: dir}
	first := fingerprints(t, sarifOf(t, Run(context.Background(), opts)))
	again := fingerprints(t, sarifOf(t, Run(context.Background(), opts)))
	if len(first) < 6 || len(first) != len(again) {
		t.Fatalf("fingerprints: %d then %d", len(first), len(again))
	}
	for k, line := range first {
		if again[k] != line {
			t.Errorf("%s: not the same finding on a second run", k)
		}
	}
	// Comment lines added on top move every finding of the file down, but
	// the findings keep their identity.
	for _, f := range []string{"k8s/litmus-legacy.yaml", "iam/chaos-unscoped.json"} {
		p := filepath.Join(dir, f)
		b, _ := os.ReadFile(p)
		pad := "# moved\n# moved\n"
		if strings.HasSuffix(f, ".json") {
			pad = "\n\n"
		}
		writeFile(t, p, pad+string(b))
	}
	moved := fingerprints(t, sarifOf(t, Run(context.Background(), opts)))
	shifted := 0
	for k, line := range first {
		nl, ok := moved[k]
		if !ok {
			t.Errorf("%s: lost after lines moved", k)
		}
		if nl == line+2 {
			shifted++
		}
	}
	if shifted < 3 {
		t.Errorf("only %d findings moved down two lines: locations do not follow the file", shifted)
	}
	// Another ServiceAccount's finding of the same rule has another fingerprint.
	a := report.SARIFFingerprint("trust.subject", report.Subject{Namespace: "litmus", ServiceAccount: "a"}, report.Location{File: "f"})
	b := report.SARIFFingerprint("trust.subject", report.Subject{Namespace: "litmus", ServiceAccount: "b"}, report.Location{File: "f"})
	if a == b {
		t.Error("two ServiceAccounts' findings share a fingerprint")
	}
}
