package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestTheFileSinkNeverReplacesWhatIsNotARegularFile(t *testing.T) {
	r := withVerdict(VerdictPass)
	want, _ := MarshalJSON(r)

	t.Run("a symlink to a regular file stays a link; its target gets the report", func(t *testing.T) {
		dir := t.TempDir()
		target, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json")
		if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := (FileSink{Path: link}).Write(t.Context(), r); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if li, err := os.Lstat(link); err != nil || li.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink (%v)", link, err)
		}
		if got, _ := os.ReadFile(target); string(got) != string(want) {
			t.Errorf("target holds %q", got)
		}
	})

	t.Run("a FIFO with a reader is written in place", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		// O_RDWR opens without waiting for a writer and keeps the FIFO open for reading.
		rd, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		if err := (FileSink{Path: fifo}).Write(t.Context(), r); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO was replaced: %v %v", fi.Mode(), err)
		}
		got := make([]byte, len(want))
		if _, err := io.ReadFull(rd, got); err != nil || string(got) != string(want) {
			t.Errorf("read %q (%v) from the FIFO, want the report", got, err)
		}
	})

	t.Run("a FIFO without a reader is refused at once", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		err := (FileSink{Path: fifo}).Write(t.Context(), r)
		if err == nil || !strings.Contains(err.Error(), "FIFO with no reader") {
			t.Errorf("Write = %v, want a refusal naming the FIFO", err)
		}
		if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced by a %v", fi.Mode())
		}
	})

	t.Run("/dev/full is written in place and its error returned", func(t *testing.T) {
		err := (FileSink{Path: "/dev/full"}).Write(t.Context(), r)
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Errorf("Write(/dev/full) = %v, want ENOSPC", err)
		}
		if fi, err := os.Lstat("/dev/full"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("/dev/full is no longer a device: %v %v", fi.Mode(), err)
		}
	})

	t.Run("a directory is refused", func(t *testing.T) {
		dir := t.TempDir()
		err := (FileSink{Path: dir}).Write(t.Context(), r)
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Write(dir) = %v", err)
		}
	})

	t.Run("a dangling symlink is refused, not replaced", func(t *testing.T) {
		link := filepath.Join(t.TempDir(), "dangling")
		if err := os.Symlink("/nonexistent/podcred/report.json", link); err != nil {
			t.Fatal(err)
		}
		if err := (FileSink{Path: link}).Write(t.Context(), r); err == nil {
			t.Error("Write through a dangling symlink succeeded")
		}
		if li, _ := os.Lstat(link); li.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced by a %v", li.Mode())
		}
	})
}
