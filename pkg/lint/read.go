package lint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Bounds of what lint reads: the size of one file, how many files one run
// reads and how many YAML documents of one file it judges.
const (
	MaxFileSize = 4 << 20
	MaxFiles    = 10000
	MaxDocs     = 2000
)

// extensions are the file kinds a directory walk picks up.
var extensions = []string{".yaml", ".yml", ".json"}

// FileError is a file (or directory) lint could not read or parse; the
// other files are still judged.
type FileError struct {
	File string
	Err  error
}

func (e FileError) Error() string { return e.File + ": " + e.Err.Error() }

// discover expands the paths into the files to read: a file as given
// (whatever its extension), a directory recursively (.yaml, .yml, .json;
// symbolic links to directories and .git are not followed, so a link loop
// cannot make the walk endless).
func discover(paths []string) ([]string, []FileError) {
	var files []string
	var errs []FileError
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, p := range paths {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			errs = append(errs, FileError{p, cleanErr(err)})
			continue
		}
		st, err := os.Stat(real)
		if err != nil {
			errs = append(errs, FileError{p, cleanErr(err)})
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(real, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, FileError{q, cleanErr(err)})
				return nil
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if d.IsDir() || !slices.Contains(extensions, strings.ToLower(filepath.Ext(q))) {
				return nil
			}
			if len(files) >= MaxFiles {
				return fmt.Errorf("more than %d files: lint fewer paths", MaxFiles)
			}
			add(q)
			return nil
		})
		if err != nil {
			errs = append(errs, FileError{p, err})
		}
	}
	return files, errs
}

// readBounded reads a regular file of at most MaxFileSize bytes. It opens
// without blocking and checks the opened file, so a FIFO, a device or a
// file swapped in between is refused rather than read.
func readBounded(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, cleanErr(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, cleanErr(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s): lint reads files only", st.Mode().Type())
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%d bytes, more than the %d bytes lint reads", st.Size(), MaxFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, cleanErr(err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("grew past the %d bytes lint reads", MaxFileSize)
	}
	return b, nil
}

// cleanErr drops the path a *PathError repeats (FileError names the file).
func cleanErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
