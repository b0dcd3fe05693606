package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/rwbench/rwbench/results"
	"golang.org/x/sys/unix"
)

// minRoom is the free space the results file's filesystem must have before a
// run: a results file of a large sweep is a few hundred KiB.
const minRoom = 4 << 20

// checkOutput refuses, before any work, a results path that cannot take the
// results: it must be a regular file or not exist, in a directory (or one
// that can be made) that is writable and has room. A run of minutes must not
// end in "cannot write" with the results lost.
func checkOutput(path string, room func(dir string) (uint64, error)) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return usagef("-o %s: is a directory; name a results file, e.g. %s", path, filepath.Join(path, "results.json"))
	case err == nil && !st.Mode().IsRegular():
		return usagef("-o %s: is %s, not a regular file; rwbench writes only regular files", path, fileKind(st.Mode()))
	case err == nil:
		if err := unix.Access(path, unix.W_OK); err != nil {
			return usagef("-o %s: not writable: %v", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return usagef("-o %s: %v", path, err)
	}
	// The nearest existing directory: results.Write makes the missing ones.
	dir := filepath.Dir(path)
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return usagef("-o %s: %s is not a directory", path, dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return usagef("-o %s: %v", path, err)
		}
		dir = filepath.Dir(dir)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return usagef("-o %s: directory %s is not writable: %v", path, dir, err)
	}
	free, err := room(dir)
	if err != nil {
		return usagef("-o %s: statfs %s: %v", path, dir, err)
	}
	if free < minRoom {
		return usagef("-o %s: the filesystem of %s has %d KiB free, under the %d KiB a results file may need", path, dir, free>>10, minRoom>>10)
	}
	return nil
}

// freeSpace is the space an unprivileged user may still write under dir.
func freeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// writeResults writes the results to path; if that fails after all (the disk
// filled during the run), it keeps them in a fallback file in the temporary
// directory and returns an error naming both.
func writeResults(path string, res *results.File) error {
	err := results.Write(path, res)
	if err == nil {
		return nil
	}
	fallback := filepath.Join(os.TempDir(), fmt.Sprintf("rwbench-%s-%s.json", res.Name, time.Now().UTC().Format("20060102T150405.000Z")))
	if ferr := results.Write(fallback, res); ferr != nil {
		return fmt.Errorf("writing the results to %s: %v; and to %s: %v", path, err, fallback, ferr)
	}
	return fmt.Errorf("writing the results to %s: %v; they are in %s", path, err, fallback)
}

// fileKind names the type of a file that is not regular or a directory.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
