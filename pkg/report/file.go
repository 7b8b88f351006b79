package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes r as JSON (MarshalJSON) to path atomically: to a
// temporary file in the same directory, synced, mode 0644, then renamed
// over path. Readers see the old report or the new one, never a part.
func WriteFile(path string, r *Report) (err error) {
	b, err := MarshalJSON(r)
	if err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	return nil
}

// FileSink writes the report to a file with WriteFile (the "file=PATH"
// sink).
type FileSink struct {
	// Path is the file to write.
	Path string
}

var _ Sink = FileSink{}

// Name returns "file=" and the path.
func (s FileSink) Name() string { return "file=" + s.Path }

// Write writes r to s.Path, unless ctx is already done.
func (s FileSink) Write(ctx context.Context, r *Report) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write report file %s: %w", s.Path, err)
	}
	return WriteFile(s.Path, r)
}
