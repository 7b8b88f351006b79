package release

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/krew/pkg/constants"
	"sigs.k8s.io/krew/pkg/index"
	"sigs.k8s.io/yaml"
)

// The krew manifest goreleaser's krew pipe writes (internal/pipe/krew/krew.go:
// dist/krew/<name>.yaml). It is decoded strictly into krew's own types
// (sigs.k8s.io/krew pkg/index), and each platform is matched the way krew
// picks one at install time: the selector against the labels os=GOOS,
// arch=GOARCH (krew internal/installation: GetMatchingPlatform).
func TestKrewManifestPointsEachPlatformAtItsArchiveWithItsSha256(t *testing.T) {
	version := snapshotVersion(t)
	files, err := filepath.Glob(filepath.Join(distDir, "krew", "*.yaml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("dist/krew holds %v (%v), want one manifest", files, err)
	}
	b, err := readLimited(files[0], maxMetadata)
	if err != nil {
		t.Fatal(err)
	}
	var p index.Plugin
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatalf("%s is not a krew plugin manifest: %v", files[0], err)
	}
	if p.APIVersion != constants.CurrentAPIVersion || p.Kind != constants.PluginKind {
		t.Errorf("apiVersion %q kind %q, want %q %q", p.APIVersion, p.Kind, constants.CurrentAPIVersion, constants.PluginKind)
	}
	if p.Name != "podcred" || filepath.Base(files[0]) != p.Name+".yaml" {
		t.Errorf("manifest %s names plugin %q: krew-index wants the file named <metadata.name>.yaml, and the plugin is podcred", files[0], p.Name)
	}
	if p.Spec.Version != "v"+version || p.Spec.ShortDescription == "" || strings.ContainsAny(p.Spec.ShortDescription, "\r\n") {
		t.Errorf("version %q (want v%s), shortDescription %q", p.Spec.Version, version, p.Spec.ShortDescription)
	}
	if len(p.Spec.Platforms) != len(platforms) {
		t.Errorf("%d platforms, want %d", len(p.Spec.Platforms), len(platforms))
	}
	for _, want := range platforms {
		pl := matchingPlatform(t, p.Spec.Platforms, want[0], want[1])
		if pl == nil {
			continue
		}
		archive := archiveName("kubectl-podcred", version, want[0], want[1])
		if path.Base(pl.URI) != archive || !strings.HasPrefix(pl.URI, "https://") {
			t.Errorf("%s/%s: uri %s, want https://.../%s", want[0], want[1], pl.URI, archive)
		}
		if got := sha256File(t, filepath.Join(distDir, archive)); pl.Sha256 != got {
			t.Errorf("%s/%s: manifest sha256 %s, %s has %s", want[0], want[1], pl.Sha256, archive, got)
		}
		contents := readArchive(t, filepath.Join(distDir, archive))
		if e, ok := contents[pl.Bin]; pl.Bin != "kubectl-podcred" || !ok || e.mode&0o111 == 0 {
			t.Errorf("%s/%s: bin %q is not the executable kubectl-podcred at the root of %s", want[0], want[1], pl.Bin, archive)
		}
	}
}

// matchingPlatform is the one platform whose selector matches os/arch.
func matchingPlatform(t *testing.T, pls []index.Platform, goos, goarch string) *index.Platform {
	t.Helper()
	var found []*index.Platform
	for i, pl := range pls {
		if pl.Selector == nil {
			t.Errorf("platform %s has no selector", pl.URI)
			continue
		}
		for k := range pl.Selector.MatchLabels {
			if !slices.Contains([]string{"os", "arch"}, k) {
				t.Errorf("platform %s selects on %q; krew knows only os and arch", pl.URI, k)
			}
		}
		sel, err := metav1.LabelSelectorAsSelector(pl.Selector)
		if err != nil {
			t.Errorf("platform %s: selector: %v", pl.URI, err)
			continue
		}
		if sel.Matches(labels.Set{"os": goos, "arch": goarch}) {
			found = append(found, &pls[i])
		}
	}
	if len(found) != 1 {
		t.Errorf("%d platforms match os=%s arch=%s, want 1", len(found), goos, goarch)
		return nil
	}
	return found[0]
}

func TestNoHandWrittenKrewManifestInTheRepository(t *testing.T) {
	// The manifest is generated from the release build; a copy kept in the
	// repository would drift from the archives it names.
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && slices.Contains([]string{".git", "dist", "bin", "tools", ".sandbox"}, d.Name()) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".yaml") && !d.IsDir() {
			b, err := readLimited(p, 4<<20)
			if err == nil && strings.Contains(string(b), "krew.googlecontainertools.github.com") && strings.Contains(string(b), "kind: Plugin") {
				t.Errorf("%s is a hand-kept krew manifest; goreleaser writes it to dist/krew", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
