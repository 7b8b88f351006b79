package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// The Dockerfile's build stage copies the context (`COPY . .`) and builds
// ./cmd/<prog> for each prog of its loop. The context is filtered by
// .dockerignore with Docker's own matcher (github.com/moby/patternmatcher and
// its ignorefile reader, which docker/cli and BuildKit use), so every file
// `go list` says the build reads must survive it.
func TestDockerignoreKeepsEveryFileTheImageBuildReads(t *testing.T) {
	ignored := dockerignored(t, filepath.Join(repoRoot, ".dockerignore"))
	needed := imageBuildFiles(t)
	if len(needed) < 20 {
		t.Fatalf("go list found only %d files for the image build", len(needed))
	}
	if bad := ignoredFiles(t, ignored, needed); len(bad) > 0 {
		t.Errorf(".dockerignore drops files the image build needs: %v", bad)
	}
}

// The check above has teeth: the pattern issue 14 found (`**/kubeconfig*`)
// drops a Go source, and the matcher says so.
func TestAKubeconfigGlobWouldDropAGoSource(t *testing.T) {
	pm, err := patternmatcher.New([]string{"**/kubeconfig*"})
	if err != nil {
		t.Fatal(err)
	}
	bad := ignoredFiles(t, pm, []string{"internal/sandbox/kubeconfig.go", "go.mod"})
	if !slices.Equal(bad, []string{"internal/sandbox/kubeconfig.go"}) {
		t.Errorf("ignored %v", bad)
	}
}

func dockerignored(t *testing.T, path string) *patternmatcher.PatternMatcher {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(io.LimitReader(f, maxMetadata))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

func ignoredFiles(t *testing.T, pm *patternmatcher.PatternMatcher, files []string) []string {
	t.Helper()
	var bad []string
	for _, f := range files {
		drop, err := pm.MatchesOrParentMatches(filepath.ToSlash(f))
		if err != nil {
			t.Fatal(err)
		}
		if drop {
			bad = append(bad, f)
		}
	}
	return bad
}

// dockerfilePrograms are the programs of the build stage's loop
// (`for prog in agent preflight; do ... ./cmd/${prog}`).
func dockerfilePrograms(t *testing.T) []string {
	t.Helper()
	b, err := readLimited(filepath.Join(repoRoot, "Dockerfile"), maxMetadata)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`for prog in ([a-z ]+);`).FindSubmatch(b)
	if m == nil || !bytes.Contains(b, []byte(`"./cmd/${prog}"`)) {
		t.Fatal("the Dockerfile's build stage no longer builds `for prog in ...; ./cmd/${prog}`: update this test")
	}
	return strings.Fields(string(m[1]))
}

// imageBuildFiles are the repository files (relative paths) the image's
// `go build` reads for linux/amd64 and linux/arm64: go.mod, go.sum and every
// source and embedded file of the main module's packages.
func imageBuildFiles(t *testing.T) []string {
	t.Helper()
	var pkgs []string
	for _, p := range dockerfilePrograms(t) {
		pkgs = append(pkgs, "./cmd/"+p)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{"go.mod": true, "go.sum": true}
	for _, arch := range []string{"amd64", "arm64"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", "-json=Dir,Module,GoFiles,CgoFiles,SFiles,HFiles,SysoFiles,EmbedFiles"}, pkgs...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p struct {
				Dir                                                      string
				Module                                                   *struct{ Main bool }
				GoFiles, CgoFiles, SFiles, HFiles, SysoFiles, EmbedFiles []string
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if p.Module == nil || !p.Module.Main {
				continue
			}
			rel, err := filepath.Rel(root, p.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range slices.Concat(p.GoFiles, p.CgoFiles, p.SFiles, p.HFiles, p.SysoFiles, p.EmbedFiles) {
				files[filepath.ToSlash(filepath.Join(rel, f))] = true
			}
		}
	}
	var out []string
	for f := range files {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
