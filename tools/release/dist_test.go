package release

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Where the release lives and what it must hold.
var (
	repoRoot = filepath.Join("..", "..")
	distDir  = filepath.Join(repoRoot, "dist")
	// platforms are the release's os/arch pairs.
	platforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}
	// archiveBinaries are the programs each archive carries, by archive prefix.
	archiveBinaries = map[string][]string{
		"podcred":         {"podcred-agent", "podcred-preflight"},
		"kubectl-podcred": {"kubectl-podcred"},
	}
	// binaryMains are the main packages the binaries are built from.
	binaryMains = map[string]string{
		"podcred-agent":     "github.com/podcred/podcred/cmd/agent",
		"podcred-preflight": "github.com/podcred/podcred/cmd/preflight",
		"kubectl-podcred":   "github.com/podcred/podcred/cmd/preflight",
	}
)

// Read limits: a release file larger than these is a broken release.
const (
	maxMetadata = 1 << 20
	maxArchive  = 200 << 20
	maxEntry    = 150 << 20
)

// snapshotVersion is the version goreleaser stamped on this dist/
// (metadata.json), failing with the command that makes one when there is none.
func snapshotVersion(t *testing.T) string {
	t.Helper()
	b, err := readLimited(filepath.Join(distDir, "metadata.json"), maxMetadata)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s has no release: run `make release-snapshot` first", distDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ProjectName string `json:"project_name"`
		Version     string `json:"version"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	if m.ProjectName != "podcred" || m.Version == "" {
		t.Fatalf("metadata.json names project %q version %q", m.ProjectName, m.Version)
	}
	return m.Version
}

// archiveName is the file goreleaser writes for prefix on os/arch.
func archiveName(prefix, version, goos, goarch string) string {
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", prefix, version, goos, goarch)
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, err
}

// sha256File is the hex sha256 of a file of at most maxArchive bytes.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := readLimited(path, maxArchive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// entry is one file of an archive.
type entry struct {
	mode int64
	data []byte
}

// readArchive returns a .tar.gz's regular files by name.
func readArchive(t *testing.T, path string) map[string]entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run `make release-snapshot`)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(io.LimitReader(f, maxArchive))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]entry{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxEntry+1))
		if err != nil || len(data) > maxEntry {
			t.Fatalf("%s: %s: unreadable or larger than %d bytes (%v)", path, h.Name, maxEntry, err)
		}
		out[h.Name] = entry{mode: h.Mode, data: data}
	}
}
