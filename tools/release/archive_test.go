package release

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryArchiveHoldsItsBinariesForItsPlatformWithReadmeAndLicence(t *testing.T) {
	version := snapshotVersion(t)
	docs := []string{"README.md"}
	licences, _ := filepath.Glob(filepath.Join(repoRoot, "LICENSE*"))
	for _, l := range licences {
		docs = append(docs, filepath.Base(l))
	}
	for prefix, bins := range archiveBinaries {
		for _, p := range platforms {
			name := archiveName(prefix, version, p[0], p[1])
			files := readArchive(t, filepath.Join(distDir, name))
			if len(files) != len(bins)+len(docs) {
				t.Errorf("%s holds %d files, want %v and %v", name, len(files), bins, docs)
			}
			for _, doc := range docs {
				if len(files[doc].data) == 0 {
					t.Errorf("%s lacks %s at its root", name, doc)
				}
			}
			for _, bin := range bins {
				e, ok := files[bin]
				if !ok {
					t.Errorf("%s lacks %s at its root", name, bin)
					continue
				}
				if e.mode&0o111 == 0 {
					t.Errorf("%s: %s is not executable (mode %o)", name, bin, e.mode)
				}
				checkBinary(t, name+": "+bin, e.data, binaryMains[bin], p[0], p[1], version)
			}
		}
	}
}

// checkBinary proves a binary is the right program for goos/goarch, built
// as the Makefile builds it: its object format and machine, and the build
// information the Go linker stamps (main package, GOOS, GOARCH, no cgo,
// -trimpath), the version stamp, no symbol table.
func checkBinary(t *testing.T, label string, data []byte, main, goos, goarch, version string) {
	t.Helper()
	if got := machine(data); got != goos+"/"+goarch {
		t.Errorf("%s is a %s executable, want %s/%s", label, got, goos, goarch)
	}
	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: no Go build information: %v", label, err)
		return
	}
	if info.Path != main {
		t.Errorf("%s is built from %s, want %s", label, info.Path, main)
	}
	want := map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: build setting %s=%q, want %q", label, k, got[k], v)
		}
	}
	// -trimpath keeps -ldflags out of the build information (cmd/go omits it
	// then), so the version stamp and the stripping are read from the binary.
	if !bytes.Contains(data, []byte(version)) {
		t.Errorf("%s does not carry version %s (-X .../internal/version.Version)", label, version)
	}
	if f, err := elf.NewFile(bytes.NewReader(data)); err == nil && f.Section(".symtab") != nil {
		t.Errorf("%s has a symbol table: not stripped (-s -w)", label)
	}
}

// machine names an executable's os/arch from its header (ELF: linux,
// Mach-O: darwin), or says what it is not.
func machine(data []byte) string {
	r := bytes.NewReader(data)
	if f, err := elf.NewFile(r); err == nil {
		switch f.Machine {
		case elf.EM_X86_64:
			return "linux/amd64"
		case elf.EM_AARCH64:
			return "linux/arm64"
		}
		return "linux/" + f.Machine.String()
	}
	if f, err := macho.NewFile(r); err == nil {
		switch f.Cpu {
		case macho.CpuAmd64:
			return "darwin/amd64"
		case macho.CpuArm64:
			return "darwin/arm64"
		}
		return "darwin/" + f.Cpu.String()
	}
	return "unknown"
}

func TestChecksumsListEveryArchiveAndMatchEveryFile(t *testing.T) {
	version := snapshotVersion(t)
	b, err := readLimited(filepath.Join(distDir, "checksums.txt"), maxMetadata)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("checksums.txt line %q is not `<sha256>  <file>`", sc.Text())
		}
		listed[f[1]] = f[0]
	}
	for prefix := range archiveBinaries {
		for _, p := range platforms {
			if name := archiveName(prefix, version, p[0], p[1]); listed[name] == "" {
				t.Errorf("checksums.txt does not list %s", name)
			}
		}
	}
	for name, sum := range listed {
		if got := sha256File(t, filepath.Join(distDir, filepath.Base(name))); got != sum {
			t.Errorf("checksums.txt says %s for %s; the file's sha256 is %s", sum, name, got)
		}
	}
}
