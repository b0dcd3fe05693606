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
// end of file returns [sigbus.ErrBeyondEOF] instead of reading nothing or extending
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
	"unsafe"

	"github.com/rwbench/rwbench/hostfiles"
	"github.com/rwbench/rwbench/sigbus"
	"golang.org/x/sys/unix"
)

// Align is the alignment of O_DIRECT buffers, offsets and lengths.
const Align = 4096

// pageSize is the transfer of FaultRead and FaultWrite.
const pageSize = 4096

// ErrUnaligned is returned by a write whose offset or length is not a multiple
// of Align.
var ErrUnaligned = errors.New("rawio: O_DIRECT write not aligned to 4096 bytes")

// Target is a set of files read and written with O_DIRECT.
type Target struct {
	hostfiles.Set
}

// New creates (or truncates) files f0..f<files-1> in dir, each of size bytes
// (sparse: ftruncate), and opens them with O_DIRECT. It fails where the
// filesystem does not support O_DIRECT (tmpfs before Linux 6.6, for one).
func New(dir string, files int, size int64) (*Target, error) {
	t := &Target{}
	if err := t.Set.Open("rawio", dir, files, size, unix.O_DIRECT); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Name returns "raw".
func (t *Target) Name() string { return "raw" }

// NewWorker returns a worker with a one-page bounce buffer.
func (t *Target) NewWorker() (*Worker, error) {
	return &Worker{Files: &t.Files, t: t, bounce: AlignedBuffer(pageSize)}, nil
}

// Quiesce fsyncs every file.
func (t *Target) Quiesce() error {
	return errors.Join(t.Fsync()...)
}

// Check returns nil.
func (t *Target) Check() []string { return nil }

// Close closes and removes the files.
func (t *Target) Close() error { return t.Set.Close() }

// AlignedBuffer returns a zeroed buffer of n bytes whose first byte is aligned to
// Align: it over-allocates by Align-1 bytes and slices.
func AlignedBuffer(n int) []byte {
	b := make([]byte, n+Align-1)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (Align - 1))
	return b[skip : skip+n : skip+n]
}

// Worker owns a bounce buffer. Punch, ZeroRange and Truncate are the plain
// system calls of hostfiles.Files; Read and Write, which go through the bounce
// buffer, are its own.
type Worker struct {
	*hostfiles.Files
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
	if _, err := w.Fd(file); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "pread", Path: w.Path(file), Err: unix.EINVAL}
	}
	start := off &^ (Align - 1)
	end := (off + int64(len(buf)) + Align - 1) &^ (Align - 1)
	b := w.buffer(int(end - start))
	n, err := w.readAligned(file, b, start)
	if err != nil {
		return 0, err
	}
	head := int(off - start)
	if n <= head {
		return 0, nil
	}
	return copy(buf, b[head:n]), nil
}

// readAligned reads until b is full or end of file: after a partial block
// (end of file) it stops, since O_DIRECT cannot read on from an unaligned
// offset.
func (w *Worker) readAligned(file int, b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n, err := w.Files.Read(file, off+int64(done), b[done:])
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
	if _, err := w.Fd(file); err != nil {
		return 0, err
	}
	if off < 0 || off%Align != 0 || len(data)%Align != 0 {
		return 0, ErrUnaligned
	}
	b := w.buffer(len(data))
	copy(b, data)
	return w.Files.Write(file, off, b)
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
		return sigbus.ErrBeyondEOF
	}
	clear(buf[n:])
	return nil
}

// FaultWrite writes one page at off. It returns sigbus.ErrBeyondEOF, and writes
// nothing, when the page starts at or beyond end of file, where a store to a
// mapping would raise SIGBUS. A page that straddles end of file is written
// whole, and so extends the file to the page's end: O_DIRECT cannot write less.
func (w *Worker) FaultWrite(file int, off int64, data []byte) error {
	fd, err := w.Fd(file)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: w.Path(file), Err: err}
	}
	if off >= st.Size {
		return sigbus.ErrBeyondEOF
	}
	if len(data) > pageSize {
		data = data[:pageSize]
	}
	_, err = w.Write(file, off, data)
	return err
}

// Advise does nothing: there is no cache.
func (w *Worker) Advise(file int, off, length int64) error {
	_, err := w.Fd(file)
	return err
}

// Close releases nothing: the bounce buffer is garbage collected.
func (w *Worker) Close() error { return nil }
