// Package rawio is the "raw" target: the workload's I/O sent straight to the
// store with O_DIRECT and no cache at all, the floor that every cached target
// (the model's strategies and the host kernel) is measured against.
//
// Each operation is the system call closest to what the cached targets do
// for it, minus the cache:
//
//	Read, FaultRead    pread(2) on an O_DIRECT descriptor into the worker's
//	                   aligned bounce buffer, then a copy to the caller's
//	                   buffer (the copy-out a cache hit also pays)
//	Write, FaultWrite  a copy into the bounce buffer, then pwrite(2)
//	Punch, ZeroRange   fallocate(PUNCH_HOLE|KEEP_SIZE), fallocate(ZERO_RANGE|
//	                   KEEP_SIZE) (a punch where ZERO_RANGE is unsupported)
//	Truncate           ftruncate(2)
//	Advise             nothing: there is no cache to read ahead into
//
// A fault on the raw store is a one-page read or write: there is nothing to
// map. It keeps the fault's end-of-file rule: a fault on a page at or beyond
// end of file returns [ErrBeyondEOF] instead of reading nothing or extending
// the file.
//
// O_DIRECT needs the buffer, the offset and the length aligned to the
// device's logical block size; the package aligns to 4096, which covers every
// block size up to the page. Bounce buffers are over-allocated and sliced to a
// 4096-byte boundary; each worker owns one, grown (rarely) to the largest
// transfer it has seen. Reads at unaligned offsets or lengths read the aligned
// span around them; writes must be aligned.
//
// Quiesce is fsync(2): there is no cache to drop. Check returns nil.
package rawio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Align is the alignment of O_DIRECT buffers, offsets and lengths.
const Align = 4096

// pageSize is the transfer of FaultRead and FaultWrite.
const pageSize = 4096

// ErrBeyondEOF is returned by a fault on a page at or beyond end of file.
var ErrBeyondEOF = errors.New("beyond EOF")

// ErrUnaligned is returned by a write whose offset or length is not a multiple
// of Align.
var ErrUnaligned = errors.New("rawio: O_DIRECT write not aligned to 4096 bytes")

// Target is a set of files read and written with O_DIRECT.
type Target struct {
	paths       []string
	fds         []int
	noZeroRange atomic.Bool // the filesystem rejected ZERO_RANGE: punch instead
}

// New creates (or truncates) files f0..f<files-1> in dir, each of size bytes
// (sparse: ftruncate), and opens them with O_DIRECT. It fails where the
// filesystem does not support O_DIRECT (tmpfs before Linux 6.6, for one).
func New(dir string, files int, size int64) (*Target, error) {
	if files <= 0 {
		return nil, fmt.Errorf("rawio: %d files", files)
	}
	if size < 0 {
		return nil, fmt.Errorf("rawio: negative file size %d", size)
	}
	t := &Target{}
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_DIRECT, 0o644)
		if err != nil {
			t.Close()
			if err == unix.EINVAL {
				return nil, &os.PathError{Op: "open(O_DIRECT)", Path: p, Err: fmt.Errorf("filesystem does not support O_DIRECT: %w", err)}
			}
			return nil, &os.PathError{Op: "open", Path: p, Err: err}
		}
		t.paths = append(t.paths, p)
		t.fds = append(t.fds, fd)
		if err := unix.Ftruncate(fd, size); err != nil {
			t.Close()
			return nil, &os.PathError{Op: "ftruncate", Path: p, Err: err}
		}
	}
	return t, nil
}

// Name returns "raw".
func (t *Target) Name() string { return "raw" }

// Paths returns the files' paths, file i first.
func (t *Target) Paths() []string { return append([]string(nil), t.paths...) }

func (t *Target) fd(file int) (int, error) {
	if file < 0 || file >= len(t.fds) {
		return -1, fmt.Errorf("rawio: file %d out of range [0, %d)", file, len(t.fds))
	}
	return t.fds[file], nil
}

// NewWorker returns a worker with a one-page bounce buffer.
func (t *Target) NewWorker() (*Worker, error) {
	return &Worker{t: t, bounce: AlignedBuffer(pageSize)}, nil
}

// Quiesce fsyncs every file.
func (t *Target) Quiesce() error {
	var errs []error
	for i, fd := range t.fds {
		if err := unix.Fsync(fd); err != nil {
			errs = append(errs, &os.PathError{Op: "fsync", Path: t.paths[i], Err: err})
		}
	}
	return errors.Join(errs...)
}

// Check returns nil.
func (t *Target) Check() []string { return nil }

// Close closes and removes the files.
func (t *Target) Close() error {
	var errs []error
	for i, fd := range t.fds {
		if fd < 0 {
			continue
		}
		if err := unix.Close(fd); err != nil {
			errs = append(errs, &os.PathError{Op: "close", Path: t.paths[i], Err: err})
		}
		t.fds[i] = -1
	}
	for _, p := range t.paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AlignedBuffer returns a zeroed buffer of n bytes whose first byte is aligned to
// Align: it over-allocates by Align-1 bytes and slices.
func AlignedBuffer(n int) []byte {
	b := make([]byte, n+Align-1)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (Align - 1))
	return b[skip : skip+n : skip+n]
}

// worker owns a bounce buffer.
type Worker struct {
	t      *Target
	bounce []byte // Align-aligned; len is a multiple of Align
}

// buffer returns the first n bytes of the bounce buffer, growing it if needed
// (n is a multiple of Align).
func (w *Worker) buffer(n int) []byte {
	if n > len(w.bounce) {
		w.bounce = AlignedBuffer(n)
	}
	return w.bounce[:n]
}

// Read reads len(buf) bytes at off; the count is short at end of file.
func (w *Worker) Read(file int, off int64, buf []byte) (int, error) {
	fd, err := w.t.fd(file)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "pread", Path: w.t.paths[file], Err: unix.EINVAL}
	}
	start := off &^ (Align - 1)
	end := (off + int64(len(buf)) + Align - 1) &^ (Align - 1)
	b := w.buffer(int(end - start))
	n, err := pread(fd, b, start)
	if err != nil {
		return 0, &os.PathError{Op: "pread", Path: w.t.paths[file], Err: err}
	}
	head := int(off - start)
	if n <= head {
		return 0, nil
	}
	return copy(buf, b[head:n]), nil
}

// pread reads until b is full or end of file.
func pread(fd int, b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Pread(fd, b[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if n == 0 {
			break
		}
		done += n
		if done%Align != 0 { // a partial block: end of file
			break
		}
	}
	return done, nil
}

// Write writes data at off; off and len(data) must be multiples of Align.
func (w *Worker) Write(file int, off int64, data []byte) (int, error) {
	fd, err := w.t.fd(file)
	if err != nil {
		return 0, err
	}
	if off < 0 || off%Align != 0 || len(data)%Align != 0 {
		return 0, ErrUnaligned
	}
	b := w.buffer(len(data))
	copy(b, data)
	done := 0
	for done < len(b) {
		n, err := unix.Pwrite(fd, b[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, &os.PathError{Op: "pwrite", Path: w.t.paths[file], Err: err}
		}
		if n == 0 {
			return done, &os.PathError{Op: "pwrite", Path: w.t.paths[file], Err: unix.EIO}
		}
		done += n
	}
	return done, nil
}

// FaultRead reads the page at off into buf; the tail of a page that straddles
// end of file reads as zeros, as through a mapping.
func (w *Worker) FaultRead(file int, off int64, buf []byte) error {
	if off%pageSize != 0 {
		return fmt.Errorf("rawio: fault offset %d is not page aligned", off)
	}
	if len(buf) > pageSize {
		buf = buf[:pageSize]
	}
	n, err := w.Read(file, off, buf)
	if err != nil {
		return err
	}
	if n == 0 && len(buf) > 0 {
		return ErrBeyondEOF
	}
	clear(buf[n:])
	return nil
}

// FaultWrite writes one page at off. It returns ErrBeyondEOF, and writes
// nothing, when the page starts at or beyond end of file, where a store to a
// mapping would raise SIGBUS. A page that straddles end of file is written
// whole, and so extends the file to the page's end: O_DIRECT cannot write less.
func (w *Worker) FaultWrite(file int, off int64, data []byte) error {
	fd, err := w.t.fd(file)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: w.t.paths[file], Err: err}
	}
	if off >= st.Size {
		return ErrBeyondEOF
	}
	if len(data) > pageSize {
		data = data[:pageSize]
	}
	_, err = w.Write(file, off, data)
	return err
}

func (w *Worker) Punch(file int, off, length int64) error {
	fd, err := w.t.fd(file)
	if err != nil {
		return err
	}
	if err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length); err != nil {
		return &os.PathError{Op: "fallocate(PUNCH_HOLE)", Path: w.t.paths[file], Err: err}
	}
	return nil
}

func (w *Worker) ZeroRange(file int, off, length int64) error {
	fd, err := w.t.fd(file)
	if err != nil {
		return err
	}
	if !w.t.noZeroRange.Load() {
		err := unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, off, length)
		if err != unix.EOPNOTSUPP {
			if err != nil {
				return &os.PathError{Op: "fallocate(ZERO_RANGE)", Path: w.t.paths[file], Err: err}
			}
			return nil
		}
		w.t.noZeroRange.Store(true)
	}
	return w.Punch(file, off, length)
}

func (w *Worker) Truncate(file int, size int64) error {
	fd, err := w.t.fd(file)
	if err != nil {
		return err
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		return &os.PathError{Op: "ftruncate", Path: w.t.paths[file], Err: err}
	}
	return nil
}

// Advise does nothing: there is no cache.
func (w *Worker) Advise(file int, off, length int64) error {
	_, err := w.t.fd(file)
	return err
}

// Close releases nothing: the bounce buffer is garbage collected.
func (w *Worker) Close() error { return nil }
