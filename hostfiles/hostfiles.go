// Package hostfiles is the set of real files on the host filesystem that the
// `kernel` (hostcache) and `raw` (rawio) targets run on: creation, the per-file
// descriptors and paths, and the operations both do the same way (pread and
// pwrite, punch, zero range, truncate, fsync, close and remove). What differs
// between the targets (rawio's aligned bounce buffers, hostcache's mappings,
// faults and advice) stays in their packages.
package hostfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Files is the open files: what any worker of either target may do to them.
// A target's worker embeds *Files, so the operations that are the same system
// call for both targets are the worker's own.
type Files struct {
	name        string // the owning target, for messages
	paths       []string
	fds         []int
	noZeroRange atomic.Bool // the filesystem rejected ZERO_RANGE: punch instead
}

// Set is files f0..fN-1 in one directory, with their lifetime: Open creates
// them, Close removes them. The zero value is empty; Open fills it.
type Set struct {
	Files
}

// Open creates (or truncates) files f0..f<files-1> in dir, each of size bytes
// (sparse: ftruncate), opened O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC plus extra. name
// prefixes messages. On error the files opened so far stay in the set for
// Close to remove.
func (s *Set) Open(name, dir string, files int, size int64, extra int) error {
	s.name = name
	if files <= 0 {
		return fmt.Errorf("%s: %d files", name, files)
	}
	if size < 0 {
		return fmt.Errorf("%s: negative file size %d", name, size)
	}
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|extra, 0o644)
		if err != nil {
			if extra&unix.O_DIRECT != 0 && err == unix.EINVAL {
				return &os.PathError{Op: "open(O_DIRECT)", Path: p, Err: fmt.Errorf("filesystem does not support O_DIRECT: %w", err)}
			}
			return &os.PathError{Op: "open", Path: p, Err: err}
		}
		s.paths = append(s.paths, p)
		s.fds = append(s.fds, fd)
		if err := unix.Ftruncate(fd, size); err != nil {
			return &os.PathError{Op: "ftruncate", Path: p, Err: err}
		}
	}
	return nil
}

// Len is the number of files.
func (s *Files) Len() int { return len(s.fds) }

// Path is file i's path.
func (s *Files) Path(i int) string { return s.paths[i] }

// Paths returns the files' paths, file i first.
func (s *Files) Paths() []string { return append([]string(nil), s.paths...) }

// Fd returns file i's descriptor.
func (s *Files) Fd(file int) (int, error) {
	if file < 0 || file >= len(s.fds) {
		return -1, fmt.Errorf("%s: file %d out of range [0, %d)", s.name, file, len(s.fds))
	}
	return s.fds[file], nil
}

// Read is one pread(2) of buf at off in file, retried on EINTR; the count is
// short at end of file.
func (s *Files) Read(file int, off int64, buf []byte) (int, error) {
	fd, err := s.Fd(file)
	if err != nil {
		return 0, err
	}
	for {
		n, err := unix.Pread(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "pread", Path: s.paths[file], Err: err}
		}
		return n, nil
	}
}

// Write is pwrite(2) of all of data at off in file, continuing after short
// writes and EINTR; a write that makes no progress is EIO.
func (s *Files) Write(file int, off int64, data []byte) (int, error) {
	fd, err := s.Fd(file)
	if err != nil {
		return 0, err
	}
	done := 0
	for done < len(data) {
		n, err := unix.Pwrite(fd, data[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, &os.PathError{Op: "pwrite", Path: s.paths[file], Err: err}
		}
		if n == 0 {
			return done, &os.PathError{Op: "pwrite", Path: s.paths[file], Err: unix.EIO}
		}
		done += n
	}
	return done, nil
}

// Punch is fallocate(PUNCH_HOLE|KEEP_SIZE).
func (s *Files) Punch(file int, off, length int64) error {
	fd, err := s.Fd(file)
	if err != nil {
		return err
	}
	if err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length); err != nil {
		return &os.PathError{Op: "fallocate(PUNCH_HOLE)", Path: s.paths[file], Err: err}
	}
	return nil
}

// ZeroRange is fallocate(ZERO_RANGE|KEEP_SIZE), or a punch where the filesystem
// does not support it (remembered after the first refusal).
func (s *Files) ZeroRange(file int, off, length int64) error {
	fd, err := s.Fd(file)
	if err != nil {
		return err
	}
	if !s.noZeroRange.Load() {
		err := unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, off, length)
		if err != unix.EOPNOTSUPP {
			if err != nil {
				return &os.PathError{Op: "fallocate(ZERO_RANGE)", Path: s.paths[file], Err: err}
			}
			return nil
		}
		s.noZeroRange.Store(true)
	}
	return s.Punch(file, off, length)
}

// Truncate is ftruncate.
func (s *Files) Truncate(file int, size int64) error {
	fd, err := s.Fd(file)
	if err != nil {
		return err
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		return &os.PathError{Op: "ftruncate", Path: s.paths[file], Err: err}
	}
	return nil
}

// Fsync fsyncs every file; each error names its file.
func (s *Set) Fsync() []error {
	var errs []error
	for i, fd := range s.fds {
		if err := unix.Fsync(fd); err != nil {
			errs = append(errs, &os.PathError{Op: "fsync", Path: s.paths[i], Err: err})
		}
	}
	return errs
}

// Close closes and removes the files; it may be called more than once.
func (s *Set) Close() error {
	var errs []error
	for i, fd := range s.fds {
		if fd < 0 {
			continue
		}
		if err := unix.Close(fd); err != nil {
			errs = append(errs, &os.PathError{Op: "close", Path: s.paths[i], Err: err})
		}
		s.fds[i] = -1
	}
	for _, p := range s.paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
