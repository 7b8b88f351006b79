package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/internal/preflightcli"
)

// ciDir holds the CI templates (README "CI").
var ciDir = filepath.Join("..", "..", "deploy", "ci")

// checkCommandLine parses args with podcred-preflight's real command tree
// (cobra's Find, then the command's own flag set and argument rule), so a
// renamed or removed subcommand or flag fails here.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	root := preflightcli.NewCommand(preflightcli.DefaultStreams(), preflightcli.Deps{})
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("%s: `podcred-preflight %s`: no such subcommand (%v)", where, strings.Join(args, " "), err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: `podcred-preflight %s`: %v", where, strings.Join(args, " "), err)
		return
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%s: `podcred-preflight %s`: %v", where, strings.Join(args, " "), err)
	}
}

// flagValue is the value of --name in args ("" when absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// ghWorkflow is the part of a GitHub Actions workflow the test reads.
type ghWorkflow struct {
	On map[string]any `json:"on"`
	// OnYAML11 is `on:` read by a YAML 1.1 parser (sigs.k8s.io/yaml), which
	// takes the key for the boolean true; GitHub reads it as "on".
	OnYAML11 map[string]any `json:"true"`
	Jobs     map[string]struct {
		Permissions map[string]string `json:"permissions"`
		Steps       []struct {
			Name string            `json:"name"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			With map[string]string `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

// pinnedUploadSarif is github/codeql-action/upload-sarif pinned to a commit,
// with the release it is named after.
var pinnedUploadSarif = regexp.MustCompile(`^github/codeql-action/upload-sarif@[0-9a-f]{40}$`)

func TestGitHubWorkflowLintsPullRequestsIntoCodeScanningAndKeepsTheSmokeTestsJUnit(t *testing.T) {
	path := filepath.Join(ciDir, "github", "podcred.yaml")
	var wf ghWorkflow
	readYAML(t, path, &wf)
	_, onPR := wf.On["pull_request"]
	if _, ok := wf.OnYAML11["pull_request"]; !ok && !onPR {
		t.Errorf("%s does not run on pull requests", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lint, smoke := 0, 0
	for name, job := range wf.Jobs {
		sarif, junit := "", ""
		for _, st := range job.Steps {
			invs, err := invocations(st.Run)
			if err != nil {
				t.Fatalf("%s job %s: %v", path, name, err)
			}
			for _, inv := range invs {
				checkCommandLine(t, path+" job "+name, inv.args)
				switch {
				case len(inv.args) > 0 && inv.args[0] == "lint" && flagValue(inv.args, "--format") == "sarif":
					sarif = inv.stdout
				case len(inv.args) > 0 && inv.args[0] == "check" && slices.Contains(inv.args, "--run-job") && flagValue(inv.args, "--format") == "junit":
					junit = inv.stdout
				}
			}
			if sarif != "" && strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif@") {
				lint++
				if !pinnedUploadSarif.MatchString(st.Uses) || !regexp.MustCompile(regexp.QuoteMeta(st.Uses)+` # v\d+\.\d+\.\d+`).Match(raw) {
					t.Errorf("%s: %s is not pinned to a commit with its version in a comment", path, st.Uses)
				}
				if st.With["sarif_file"] != sarif || job.Permissions["security-events"] != "write" {
					t.Errorf("%s: upload-sarif sends %q (lint writes %q), security-events: %q", path, st.With["sarif_file"], sarif, job.Permissions["security-events"])
				}
			}
			if junit != "" && strings.HasPrefix(st.Uses, "actions/upload-artifact@") {
				smoke++
				if st.With["path"] != junit {
					t.Errorf("%s: the artefact keeps %q; check --run-job writes %q", path, st.With["path"], junit)
				}
			}
		}
	}
	if lint != 1 || smoke != 1 {
		t.Errorf("%s: %d lint jobs uploading SARIF and %d smoke tests keeping JUnit, want one of each", path, lint, smoke)
	}
}

// glJob is the part of a GitLab CI job the test reads.
type glJob struct {
	BeforeScript []string `json:"before_script"`
	Script       []string `json:"script"`
	Rules        []struct {
		If string `json:"if"`
	} `json:"rules"`
	Artifacts struct {
		Paths   []string `json:"paths"`
		Reports struct {
			Junit string `json:"junit"`
		} `json:"reports"`
	} `json:"artifacts"`
}

func TestGitLabJobsLintMergeRequestsAndReportTheSmokeTestAsJUnit(t *testing.T) {
	path := filepath.Join(ciDir, "gitlab", "podcred.gitlab-ci.yml")
	var jobs map[string]glJob
	readYAML(t, path, &jobs)
	lint, smoke := 0, 0
	for name, job := range jobs {
		script := strings.Join(append(slices.Clone(job.BeforeScript), job.Script...), "\n")
		invs, err := invocations(script)
		if err != nil {
			t.Fatalf("%s job %s: %v", path, name, err)
		}
		for _, inv := range invs {
			checkCommandLine(t, path+" job "+name, inv.args)
			onMR := slices.ContainsFunc(job.Rules, func(r struct {
				If string `json:"if"`
			}) bool {
				return strings.Contains(r.If, "merge_request_event")
			})
			switch {
			case inv.args[0] == "lint" && flagValue(inv.args, "--format") == "sarif":
				lint++
				if !onMR || !slices.Contains(job.Artifacts.Paths, inv.stdout) {
					t.Errorf("%s job %s: lint runs on merge requests %v, keeps %v, writes SARIF to %q", path, name, onMR, job.Artifacts.Paths, inv.stdout)
				}
			case inv.args[0] == "check" && slices.Contains(inv.args, "--run-job") && flagValue(inv.args, "--format") == "junit":
				smoke++
				if job.Artifacts.Reports.Junit != inv.stdout || inv.stdout == "" {
					t.Errorf("%s job %s: the JUnit report is %q; check --run-job writes %q", path, name, job.Artifacts.Reports.Junit, inv.stdout)
				}
			}
		}
	}
	if lint != 1 || smoke != 1 {
		t.Errorf("%s: %d lint jobs writing SARIF and %d smoke tests writing JUnit, want one of each", path, lint, smoke)
	}
}

func TestCommandLinesAreSplitAsTheShellSplitsThem(t *testing.T) {
	invs, err := invocations("x=1; podcred-preflight check -n \"$NS\" \\\n  --service-account 'a b' --issuer ${{ vars.I || 'x y' }} 2>&1 > out.xml || true\n" +
		"echo not-podcred-preflight lint")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"check", "-n", "$NS", "--service-account", "a b", "--issuer", "EXPR"}
	if len(invs) != 1 || !slices.Equal(invs[0].args, want) || invs[0].stdout != "out.xml" {
		t.Fatalf("got %+v, want args %q and stdout out.xml", invs, want)
	}
}
