package report

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := withVerdict(VerdictFail)
	if err := (FileSink{Path: path}).Write(t.Context(), r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := MarshalJSON(r)
	if string(got) != string(want) {
		t.Errorf("file holds %q, want the report's JSON", got)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v (%v), want 0644", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "r.json"), r); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
	if err := WriteFile(filepath.Join(dir, "nil.json"), nil); err == nil {
		t.Error("WriteFile(nil) succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed writes left files: %v", entries)
	}
}
