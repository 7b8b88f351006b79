package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// finalStage is what the Dockerfile's default (last) stage puts in the image.
type finalStage struct {
	base       string
	copies     map[string]string // image path -> build-stage file name
	user       string
	entrypoint []string
}

func parseFinalStage(t *testing.T, path string) finalStage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st finalStage
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			st = finalStage{base: f[1], copies: map[string]string{}}
		case "COPY":
			args := f[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "--") {
				args = args[1:]
			}
			dst := args[len(args)-1]
			for _, src := range args[:len(args)-1] {
				st.copies[dst] = filepath.Base(src)
			}
		case "USER":
			st.user = f[1]
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, f[0]))), &st.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %q: %v", line, err)
			}
		}
	}
	return st
}

func TestAgentSpecMatchesTheDockerfilesDefaultTarget(t *testing.T) {
	st := parseFinalStage(t, filepath.Join("..", "..", "..", "Dockerfile"))
	if !strings.HasPrefix(st.base, "gcr.io/distroless/static") || !strings.HasSuffix(st.base, ":nonroot") {
		t.Fatalf("the default target is based on %s; the recipe reproduces distroless static nonroot: update both", st.base)
	}
	bin := t.TempDir()
	for _, name := range AgentBinaries {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := AgentSpec(bin)
	if err != nil {
		t.Fatal(err)
	}
	if spec.User != st.user {
		t.Errorf("recipe user %q, Dockerfile USER %q", spec.User, st.user)
	}
	if !slices.Equal(spec.Entrypoint, st.entrypoint) {
		t.Errorf("recipe entrypoint %q, Dockerfile ENTRYPOINT %q", spec.Entrypoint, st.entrypoint)
	}
	recipe := map[string]string{}
	for _, f := range spec.Files {
		if strings.HasPrefix(f.Source, bin) {
			recipe[f.Path] = filepath.Base(f.Source)
		}
	}
	if len(recipe) != len(st.copies) {
		t.Errorf("recipe copies %v, Dockerfile copies %v", recipe, st.copies)
	}
	for dst, name := range st.copies {
		if recipe[dst] != name {
			t.Errorf("Dockerfile copies %s to %s; the recipe has %q there", name, dst, recipe[dst])
		}
	}
	for _, f := range spec.Files {
		if strings.HasPrefix(f.Path, "/bin") || strings.HasSuffix(f.Path, "/sh") {
			t.Errorf("the image must have no shell; the recipe adds %s", f.Path)
		}
	}
}
