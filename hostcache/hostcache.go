// Package hostcache is the "kernel" target: the benchmark's workload run on the
// host kernel's own page cache, on real files in a directory of the host
// filesystem, to calibrate the model against the system it imitates.
//
// Every operation is the plain system call the model's operation stands for:
//
//	Read        pread(2), buffered
//	Write       pwrite(2), buffered
//	FaultRead   madvise(MADV_DONTNEED) of one page of the worker's MAP_SHARED
//	            mapping, then a load of the page through the mapping (a fault)
//	FaultWrite  the same, then a store (a write fault and ->page_mkwrite)
//	Punch       fallocate(PUNCH_HOLE|KEEP_SIZE)
//	ZeroRange   fallocate(ZERO_RANGE|KEEP_SIZE), or a punch where the
//	            filesystem lacks ZERO_RANGE
//	Truncate    ftruncate(2)
//	Advise      posix_fadvise(WILLNEED)
//
// The files are opened once by the target and their descriptors shared by the
// workers (pread and pwrite are positional, so that is safe). Each worker, like
// a process of its own, maps each file once, on its first fault on that file,
// and keeps the mapping until it closes; a file that has grown beyond the
// mapping is mapped again.
//
// A fault beyond end of file raises SIGBUS in the kernel's world. The fault
// paths check the size with fstat(2) first and return [sigbus.ErrBeyondEOF]; a
// truncate that races in between the check and the access is caught by running
// the access under runtime/debug.SetPanicOnFault (set for the calling goroutine
// only, for the duration of the access) and turning the recovered fault into
// sigbus.ErrBeyondEOF as well.
//
// Quiesce syncs every file and drops this file set's pages with
// posix_fadvise(DONTNEED), leaving the rest of the host's cache alone (no
// global drop_caches). Pages still mapped are not dropped by fadvise, so
// Quiesce first zaps every live worker's mappings (MADV_DONTNEED); it must not
// run concurrently with the workers' operations. Check has nothing to check:
// the kernel's consistency is not ours to judge, and the runner checks content
// through Read.
package hostcache

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/rwbench/rwbench/hostfiles"
	"github.com/rwbench/rwbench/sigbus"
	"golang.org/x/sys/unix"
)

// Target is the host kernel's page cache over a set of files.
type Target struct {
	hostfiles.Set
	dir  string
	page int64

	mu      sync.Mutex           // guards workers and closed
	workers map[*Worker]struct{} // live workers, whose mappings Quiesce zaps
	closed  bool
}

// New creates (or truncates) files f0..f<files-1> in dir, each of size bytes
// (sparse: ftruncate), and opens them.
func New(dir string, files int, size int64) (*Target, error) {
	t := &Target{dir: dir, page: int64(unix.Getpagesize()), workers: make(map[*Worker]struct{})}
	if err := t.Set.Open("hostcache", dir, files, size, 0); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Name returns "kernel".
func (t *Target) Name() string { return "kernel" }

// NewWorker returns a worker with no mappings yet.
func (t *Target) NewWorker() (*Worker, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errors.New("hostcache: target closed")
	}
	w := &Worker{Files: &t.Files, t: t, maps: make([][]byte, t.Len())}
	t.workers[w] = struct{}{}
	return w, nil
}

// Quiesce zaps the workers' mappings, fsyncs every file and drops its pages
// from the cache with posix_fadvise(DONTNEED).
func (t *Target) Quiesce() error {
	t.mu.Lock()
	for w := range t.workers {
		w.zapAll()
	}
	t.mu.Unlock()
	var errs []error
	errs = append(errs, t.Fsync()...)
	for i := range t.Len() {
		fd, _ := t.Fd(i)
		if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
			errs = append(errs, &os.PathError{Op: "fadvise", Path: t.Path(i), Err: err})
		}
	}
	return errors.Join(errs...)
}

// WarmPages fills the page cache with file in base pages. What the cache holds
// of it (the prefill's 1 MiB writes, in large folios) is written back and
// dropped, then read again in 1 MiB reads through a descriptor with
// POSIX_FADV_RANDOM, whose reads skip the readahead window and read just the
// pages asked for, in order-0 folios (force_page_cache_ra). Read in large chunks, a file is cached in large folios (XFS and ext4
// make them up to 2 MiB), and every later 8 KiB write dirties a whole folio:
// measured on ext4 (Linux 6.18), 85 bytes written back per byte written, and
// the writers throttled at 5k writes/s where order-0 pages let them run. The
// model has base pages only; warmed this way the two compare like with like.
func (t *Target) WarmPages(file int) error {
	path := t.Path(file)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for _, step := range []struct {
		op string
		do func() error
	}{
		{"fdatasync", func() error { return unix.Fdatasync(fd) }},
		{"fadvise(DONTNEED)", func() error { return unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED) }},
		{"fadvise(RANDOM)", func() error { return unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM) }},
	} {
		if err := step.do(); err != nil {
			return &os.PathError{Op: step.op, Path: path, Err: err}
		}
	}
	buf := make([]byte, 1<<20)
	for off := int64(0); ; {
		n, err := unix.Pread(fd, buf, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "pread", Path: path, Err: err}
		}
		if n == 0 {
			return nil
		}
		off += int64(n)
	}
}

// Check returns nil: the host kernel's consistency is not the benchmark's to
// check.
func (t *Target) Check() []string { return nil }

// Close unmaps the mappings of workers not yet closed (they must no longer be
// running), closes the files and removes them.
func (t *Target) Close() error {
	t.mu.Lock()
	t.closed = true
	ws := t.workers
	t.workers = nil
	t.mu.Unlock()
	var errs []error
	for w := range ws {
		errs = append(errs, w.unmapAll())
	}
	errs = append(errs, t.Set.Close())
	return errors.Join(errs...)
}

// Worker is one goroutine's context: its own mapping of each file. Read,
// Write, Punch, ZeroRange and Truncate are the plain system calls of
// hostfiles.Files.
type Worker struct {
	*hostfiles.Files
	t *Target

	// mu guards maps against the target: the worker alone changes maps, and
	// does so under mu; Quiesce and Close read maps under mu; the worker reads
	// maps without it.
	mu sync.Mutex
	// maps[i] is this worker's MAP_SHARED mapping of file i, nil until the
	// first fault on it.
	maps [][]byte
}

func (w *Worker) FaultRead(file int, off int64, buf []byte) error {
	page, err := w.page(file, off)
	if err != nil {
		return err
	}
	return w.t.fault(page, buf, false)
}

func (w *Worker) FaultWrite(file int, off int64, data []byte) error {
	page, err := w.page(file, off)
	if err != nil {
		return err
	}
	return w.t.fault(page, data, true)
}

// page returns this worker's mapping of the page at off in file, mapping the
// file first if needed, or sigbus.ErrBeyondEOF if the page starts at or beyond end of
// file.
func (w *Worker) page(file int, off int64) ([]byte, error) {
	fd, err := w.Fd(file)
	if err != nil {
		return nil, err
	}
	if off < 0 || off%w.t.page != 0 {
		return nil, fmt.Errorf("hostcache: fault offset %d is not page aligned", off)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: w.Path(file), Err: err}
	}
	if off >= st.Size {
		return nil, sigbus.ErrBeyondEOF
	}
	m := w.maps[file]
	if off+w.t.page > int64(len(m)) {
		if m, err = w.remap(file, fd, st.Size); err != nil {
			return nil, err
		}
	}
	return m[off : off+w.t.page : off+w.t.page], nil
}

// remap maps file anew over size bytes (rounded up to whole pages), replacing
// the worker's old mapping of it.
func (w *Worker) remap(file, fd int, size int64) ([]byte, error) {
	size = (size + w.t.page - 1) &^ (w.t.page - 1)
	m, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: w.Path(file), Err: err}
	}
	w.mu.Lock()
	old := w.maps[file]
	w.maps[file] = m
	w.mu.Unlock()
	if old != nil {
		if err := unix.Munmap(old); err != nil {
			return nil, fmt.Errorf("hostcache: munmap: %w", err)
		}
	}
	return m, nil
}

// fault drops the page from the mapping, so the access faults, then copies the
// page to buf (or data into the page when write is set). A SIGBUS during the
// access (the file was truncated under it) becomes sigbus.ErrBeyondEOF.
func (t *Target) fault(page, buf []byte, write bool) error {
	if err := unix.Madvise(page, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("hostcache: madvise(DONTNEED): %w", err)
	}
	return access(page, buf, write)
}

// access copies page to buf, or buf to page when write is set, turning a memory
// fault into sigbus.ErrBeyondEOF.
func access(page, buf []byte, write bool) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			err = sigbus.ErrBeyondEOF
		}
	}()
	if write {
		copy(page, buf)
	} else {
		copy(buf, page)
	}
	return nil
}

func (w *Worker) Advise(file int, off, length int64) error {
	fd, err := w.Fd(file)
	if err != nil {
		return err
	}
	if err := unix.Fadvise(fd, off, length, unix.FADV_WILLNEED); err != nil {
		return &os.PathError{Op: "fadvise(WILLNEED)", Path: w.Path(file), Err: err}
	}
	return nil
}

// Close unmaps the worker's mappings.
func (w *Worker) Close() error {
	w.t.mu.Lock()
	_, live := w.t.workers[w]
	delete(w.t.workers, w)
	w.t.mu.Unlock()
	if !live { // closed already, by itself or by the target
		return nil
	}
	return w.unmapAll()
}

// zapAll drops every page of the worker's mappings (MADV_DONTNEED), so the
// pages are no longer mapped and fadvise(DONTNEED) can drop them.
func (w *Worker) zapAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.maps {
		if m != nil {
			_ = unix.Madvise(m, unix.MADV_DONTNEED) // cannot fail on a live mapping
		}
	}
}

func (w *Worker) unmapAll() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for i, m := range w.maps {
		if m != nil {
			if err := unix.Munmap(m); err != nil {
				errs = append(errs, fmt.Errorf("hostcache: munmap: %w", err))
			}
			w.maps[i] = nil
		}
	}
	return errors.Join(errs...)
}
