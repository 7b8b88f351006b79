package preflight

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/report"
)

func TestEveryDependencyAChecksSkipNamesIsARegisteredCheck(t *testing.T) {
	for id, what := range establishes {
		if NeedsOf(id) == nil || what == "" {
			t.Errorf("establishes names %q (%q), which is not a registered check", id, what)
		}
	}
	if got := needsCheck(IDIAMRoleExists).Message; got != "needs the role (see iam.role-exists)" {
		t.Errorf("needsCheck(iam.role-exists) = %q", got)
	}
}

// Check IDs inside messages are generated: no check source spells "(see x.y)".
func TestNoCheckFunctionSpellsAnotherChecksID(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	literal := regexp.MustCompile(`"[^"]*\(see [a-z]+\.[a-z-]+\)[^"]*"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "ids.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := literal.Find(b); m != nil {
			t.Errorf("%s spells a check ID in a message: %s", f, m)
		}
	}
}

func TestEvaluateFromJudgesOnlyChecksWhoseNeedsAreMet(t *testing.T) {
	f := healthyPreflightFacts(t)
	// Files-like source: no cluster, no AWS.
	has := func(n Need) bool {
		return n != NeedIAM && n != NeedCluster && n != NeedEC2 && n != NeedEKS && n != NeedJob
	}
	checks := EvaluateFrom(f, has)
	if len(checks) != len(Specs) {
		t.Fatalf("%d checks, want %d", len(checks), len(Specs))
	}
	for _, c := range checks {
		blocked := false
		for _, n := range NeedsOf(c.ID) {
			blocked = blocked || !has(n)
		}
		switch {
		case blocked && (c.Status != report.StatusSkip || c.Evidence[EvidenceNotJudged] == "" || !strings.HasPrefix(c.Message, "not judged: needs ")):
			t.Errorf("%s needs what the source lacks but is %s: %s", c.ID, c.Status, c.Message)
		case !blocked && c.Status != report.StatusPass:
			t.Errorf("%s could be judged and the set-up is healthy, but it is %s: %s", c.ID, c.Status, c.Message)
		}
	}
	for _, id := range []string{IDIAMOIDCProvider, IDIAMPermissions, IDSAExists, IDPodsEnvInjected, IDNodesIMDS} {
		if c := findCheck(checks, id); c.Evidence[EvidenceNotJudged] == "" {
			t.Errorf("%s was judged without the cluster or AWS: %s", id, c.Message)
		}
	}
	for _, id := range []string{IDTrustSubject, IDSARoleAnnotation, IDExperimentGate, IDExperimentCloudSecret} {
		if c := findCheck(checks, id); c.Status != report.StatusPass {
			t.Errorf("%s was not judged from files-like facts: %s", id, c.Message)
		}
	}
}

func findCheck(cs []report.Check, id string) report.Check {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return report.Check{}
}
