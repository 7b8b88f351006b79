package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSinkCallsCarryTheirOwnDeadline(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"the default per-call timeout is 10s", nil, 10 * time.Second},
		{"WithTimeout sets it", []Option{WithTimeout(2 * time.Second)}, 2 * time.Second},
		{"a non-positive timeout keeps the default", []Option{WithTimeout(0)}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newSinkConfig(tt.opts)
			start := time.Now()
			var deadline time.Time
			_ = cfg.call(context.Background(), func(ctx context.Context) error {
				deadline, _ = ctx.Deadline()
				return nil
			})
			end := time.Now()
			if deadline.Before(start.Add(tt.want)) || deadline.After(end.Add(tt.want)) {
				t.Errorf("deadline %s after start, want %s", deadline.Sub(start), tt.want)
			}
		})
	}
	t.Run("a shorter caller deadline wins", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		want, _ := ctx.Deadline()
		_ = newSinkConfig(nil).call(ctx, func(ctx context.Context) error {
			if got, _ := ctx.Deadline(); !got.Equal(want) {
				t.Errorf("deadline %s, want the caller's %s", got, want)
			}
			return nil
		})
	})
}

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
