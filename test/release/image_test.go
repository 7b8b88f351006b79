package release

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/deploy"
	"github.com/podcred/podcred/internal/sandbox/image"
)

// The image recipe the sandbox node builds offline (internal/sandbox/image)
// is the reference; internal/sandbox/image/dockerfile_test.go compares it with
// the Dockerfile's default target (paths, user, entrypoint). These tests cover
// the rest of what ships with it: the build stage, the probe target and the
// pods deploy/ runs the image in.

// stage is one Dockerfile stage, instructions joined across continuations.
type stage struct {
	name   string
	lines  []string // "INSTRUCTION args"
	copies []string // base names of COPY sources
	user   string
	entry  []string
}

func dockerfileStages(t *testing.T) []stage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var out []stage
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		ins := strings.ToUpper(f[0])
		if ins == "FROM" {
			st := stage{}
			if len(f) >= 4 && strings.EqualFold(f[len(f)-2], "AS") {
				st.name = f[len(f)-1]
			}
			out = append(out, st)
		}
		if len(out) == 0 {
			continue
		}
		st := &out[len(out)-1]
		st.lines = append(st.lines, ins+" "+strings.Join(f[1:], " "))
		switch ins {
		case "COPY":
			args := slices.DeleteFunc(slices.Clone(f[1:]), func(a string) bool { return strings.HasPrefix(a, "--") })
			for _, src := range args[:len(args)-1] {
				st.copies = append(st.copies, path.Base(src))
			}
		case "USER":
			st.user = f[1]
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.Join(f[1:], " ")), &st.entry); err != nil {
				t.Fatalf("ENTRYPOINT %q: %v", line, err)
			}
		}
	}
	return out
}

func findStage(t *testing.T, stages []stage, name string) stage {
	t.Helper()
	for _, st := range stages {
		if st.name == name {
			return st
		}
	}
	t.Fatalf("the Dockerfile has no stage %q", name)
	return stage{}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestDockerfileBuildStageBuildsExactlyTheRecipesPrograms(t *testing.T) {
	build := findStage(t, dockerfileStages(t), "build")
	run := strings.Join(build.lines, "\n")
	m := regexp.MustCompile(`for prog in ([a-z ]+);`).FindStringSubmatch(run)
	if m == nil || !strings.Contains(run, `-o "/out/podcred-${prog}" "./cmd/${prog}"`) {
		t.Fatalf("the build stage no longer builds /out/podcred-${prog} from ./cmd/${prog} in a loop:\n%s", run)
	}
	var built []string
	for _, p := range strings.Fields(m[1]) {
		built = append(built, "podcred-"+p)
	}
	if !slices.Equal(sorted(built), sorted(image.AgentBinaries)) {
		t.Errorf("the Dockerfile builds %v; the recipe ships %v", built, image.AgentBinaries)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w"} {
		if !strings.Contains(run, flag) {
			t.Errorf("the build stage lost %s: the recipe's binaries (make build) are static and stripped", flag)
		}
	}
}

func TestProbeTargetShipsTheRecipesProgramsAsTheRecipesUser(t *testing.T) {
	probe := findStage(t, dockerfileStages(t), "probe")
	spec, err := image.AgentSpec(fakeBinDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sorted(probe.copies), sorted(image.AgentBinaries)) {
		t.Errorf("the probe target copies %v; the recipe ships %v", probe.copies, image.AgentBinaries)
	}
	if probe.user != spec.User {
		t.Errorf("the probe target runs as %q, the recipe as %q", probe.user, spec.User)
	}
	if len(probe.entry) != 1 || len(spec.Entrypoint) != 1 || path.Base(probe.entry[0]) != path.Base(spec.Entrypoint[0]) {
		t.Errorf("the probe target starts %v, the recipe %v: the same program should run", probe.entry, spec.Entrypoint)
	}
}

// fakeBinDir holds stand-ins for the binaries AgentSpec copies.
func fakeBinDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range image.AgentBinaries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Every pod deploy/ ships that runs the agent image runs it as the image's
// user (the recipe's home and files belong to it) and, when it names a
// command, names a program the image has.
func TestShippedPodsRunTheAgentImageAsItsUserAndItsPrograms(t *testing.T) {
	spec, err := image.AgentSpec(fakeBinDir(t))
	if err != nil {
		t.Fatal(err)
	}
	repo := image.AgentRef[:strings.LastIndex(image.AgentRef, ":")]
	files, err := deploy.Files()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		docs, err := deploy.Documents(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docs {
			ps, ok := podSpec(t, f, doc)
			if !ok {
				continue
			}
			for _, c := range slices.Concat(ps.InitContainers, ps.Containers) {
				if !strings.HasPrefix(c.Image, repo+":") && !strings.HasPrefix(c.Image, repo+"@") {
					continue
				}
				seen++
				uid, gid := effectiveIDs(ps.SecurityContext, c.SecurityContext)
				if want := int64(image.NonRoot); uid != want || gid != want {
					t.Errorf("%s: container %s runs the agent image as %d:%d, the image's user is %s", f, c.Name, uid, gid, spec.User)
				}
				if len(c.Command) > 0 && !slices.Contains(spec.Entrypoint, c.Command[0]) &&
					!slices.ContainsFunc(spec.Files, func(x image.File) bool { return x.Path == c.Command[0] }) {
					t.Errorf("%s: container %s runs %q, which the agent image does not have", f, c.Name, c.Command[0])
				}
			}
		}
	}
	if seen < 2 {
		t.Fatalf("found %d containers of %s in deploy/; the Job and the init-container example run it", seen, repo)
	}
}

func podSpec(t *testing.T, file string, doc []byte) (corev1.PodSpec, bool) {
	t.Helper()
	switch deploy.KindOf(doc) {
	case "Job":
		var j batchv1.Job
		if err := yaml.Unmarshal(doc, &j); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return j.Spec.Template.Spec, true
	case "Pod":
		var p corev1.Pod
		if err := yaml.Unmarshal(doc, &p); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return p.Spec, true
	}
	return corev1.PodSpec{}, false
}

// effectiveIDs are the user and group a container runs as: its own
// securityContext wins over the pod's (core/v1 SecurityContext docs); -1 when unset.
func effectiveIDs(pod *corev1.PodSecurityContext, c *corev1.SecurityContext) (uid, gid int64) {
	uid, gid = -1, -1
	if pod != nil && pod.RunAsUser != nil {
		uid = *pod.RunAsUser
	}
	if pod != nil && pod.RunAsGroup != nil {
		gid = *pod.RunAsGroup
	}
	if c != nil && c.RunAsUser != nil {
		uid = *c.RunAsUser
	}
	if c != nil && c.RunAsGroup != nil {
		gid = *c.RunAsGroup
	}
	return uid, gid
}
