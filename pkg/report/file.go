package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultFileWriteTimeout bounds a write into a FIFO or device when the
// caller gives no deadline.
const DefaultFileWriteTimeout = 10 * time.Second

// WriteFile writes r as JSON (MarshalJSON) to path, never replacing
// something that is not a regular file:
//   - a missing path or a regular file is written atomically: to a temporary
//     file in the same directory, synced, mode 0644, then renamed over path.
//     Readers see the old report or the new one, never a part;
//   - a symlink to a regular file has its target replaced that way, so the
//     link stays a link;
//   - a FIFO or a character device (/dev/stdout, /dev/full) is written in
//     place, without blocking: a FIFO without a reader, a full device or a
//     write past DefaultFileWriteTimeout is an error;
//   - anything else (a directory, a socket, a block device, a dangling
//     symlink) is refused.
//
// Every failure is an error naming the path, so the agent exits non-zero.
func WriteFile(path string, r *Report) error {
	return writeFile(path, r, time.Now().Add(DefaultFileWriteTimeout))
}

func writeFile(path string, r *Report, deadline time.Time) error {
	b, err := MarshalJSON(r)
	if err != nil {
		return fmt.Errorf("write report file %s: %w", path, err)
	}
	target := path
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("write report file %s: a symlink whose target cannot be resolved (refusing to replace the link): %w", path, err)
		}
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode().IsRegular()):
		if err := replaceAtomically(target, b); err != nil {
			return fmt.Errorf("write report file %s: %w", path, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("write report file %s: %w", path, err)
	case fi.Mode()&fs.ModeNamedPipe != 0 || fi.Mode()&fs.ModeCharDevice != 0:
		if err := writeInPlace(target, b, deadline); err != nil {
			return fmt.Errorf("write report file %s (written in place, not replaced): %w", path, err)
		}
		return nil
	}
	return fmt.Errorf("write report file %s: it is a %s; the file sink writes regular files, FIFOs and character devices only",
		path, kindOf(fi.Mode()))
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}

// writeInPlace writes b to an existing FIFO or character device. The open
// is non-blocking (a FIFO without a reader fails with ENXIO instead of
// waiting forever) and the write is bounded by deadline.
func writeInPlace(path string, b []byte, deadline time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return errors.New("a FIFO with no reader")
	}
	if err != nil {
		return err
	}
	_ = f.SetWriteDeadline(deadline) // pollable files (FIFOs) honour it; devices never block
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// replaceAtomically writes b to a temporary file next to path and renames it over path.
func replaceAtomically(path string, b []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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

// Write writes r to s.Path as WriteFile does, unless ctx is already done;
// a write into a FIFO or device is bounded by ctx's deadline when it has one.
func (s FileSink) Write(ctx context.Context, r *Report) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write report file %s: %w", s.Path, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultFileWriteTimeout)
	}
	return writeFile(s.Path, r, deadline)
}
