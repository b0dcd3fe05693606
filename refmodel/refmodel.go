// Package refmodel is the plain reference model of the benchmark's files, as fsx
// keeps one: a byte array per file with the semantics of read(2), write(2), a
// shared file mapping, fallocate and ftruncate, and nothing else (no cache, no
// blocks, no concurrency to speak of). It is the oracle of the metamorphic and
// fuzz tests: one operation stream (Generate, DecodeOps) is applied to the
// reference and to a target (Run), and the transcripts of what each operation
// returned are diffed byte for byte (Diff).
//
// Files is a target.Worker, so it can stand in for a target's worker.
//
// Semantics, as the targets must show them (offsets and lengths in bytes):
//   - Read returns min(len, size-off) bytes: short at end of file, 0 past it.
//   - Write extends the file when it ends past its size.
//   - Punch and ZeroRange zero the part of the range inside the file and keep
//     the size (FALLOC_FL_KEEP_SIZE): nothing happens past end of file.
//   - Truncate sets the size: shrinking discards, growing reads as zeros.
//   - FaultRead and FaultWrite act on the page containing off; a page that
//     starts at or past end of file fails with sigbus.ErrBeyondEOF (SIGBUS). Bytes a
//     FaultWrite stores past end of file within the last page are not kept.
//   - Advise does nothing.
package refmodel

import (
	"fmt"
	"slices"
	"sync"

	"github.com/rwbench/rwbench/sigbus"

	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/target"
)

// PageSize is the page size of the model.
const PageSize = oracle.PageSize

// Worker is what Run and Apply drive: a target's worker (target.Worker, not
// a copy of it), under the name this package's callers know.
type Worker = target.Worker

var _ Worker = (*Files)(nil)

// Files is the reference model: a byte array per file. It is safe for concurrent
// use (each file has a lock, and every operation is atomic), so it can also serve
// as a trivially correct target.
type Files struct {
	f []file
}

// file is one file of the model.
type file struct {
	// mu guards data, and the size with it: operations that only read take
	// it shared, every other one exclusive, so each operation is atomic.
	mu   sync.RWMutex
	data []byte // len(data) is the file's size
}

// New returns files files of size bytes each, all zeros.
func New(files int, size int64) *Files {
	if files < 0 || size < 0 {
		panic(fmt.Sprintf("refmodel: New(%d, %d)", files, size))
	}
	fs := &Files{f: make([]file, files)}
	for i := range fs.f {
		fs.f[i].data = make([]byte, size)
	}
	return fs
}

// file returns file i after checking the arguments of an operation.
func (fs *Files) file(i int, off, length int64) (*file, error) {
	if i < 0 || i >= len(fs.f) {
		return nil, fmt.Errorf("refmodel: no file %d", i)
	}
	if off < 0 || length < 0 || off > maxSize-length {
		return nil, fmt.Errorf("refmodel: bad range off %d len %d", off, length)
	}
	return &fs.f[i], nil
}

// lock returns file i, after checking the arguments of an operation, locked
// (exclusively when write), and the function that unlocks it.
func (fs *Files) lock(i int, off, length int64, write bool) (*file, func(), error) {
	f, err := fs.file(i, off, length)
	if err != nil {
		return nil, nil, err
	}
	if write {
		f.mu.Lock()
		return f, f.mu.Unlock, nil
	}
	f.mu.RLock()
	return f, f.mu.RUnlock, nil
}

// maxSize bounds offsets so that off+len never overflows and a bad op cannot ask
// for an absurd allocation.
const maxSize = 1 << 40

// resize sets the size to n, zeroing any bytes it adds.
func (f *file) resize(n int64) {
	old := int64(len(f.data))
	if n <= old {
		f.data = f.data[:n]
		return
	}
	f.data = slices.Grow(f.data, int(n-old))[:n]
	clear(f.data[old:])
}

// Read copies min(len(buf), size-off) bytes at off into buf.
func (fs *Files) Read(i int, off int64, buf []byte) (int, error) {
	f, unlock, err := fs.lock(i, off, int64(len(buf)), false)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(buf, f.data[off:]), nil
}

// Write stores data at off, extending the file if it ends past its size.
func (fs *Files) Write(i int, off int64, data []byte) (int, error) {
	f, unlock, err := fs.lock(i, off, int64(len(data)), true)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if end := off + int64(len(data)); end > int64(len(f.data)) {
		f.resize(end)
	}
	return copy(f.data[off:], data), nil
}

// FaultRead copies the page containing off into buf; past the end of file the
// page reads as zeros. A page starting at or past end of file is sigbus.ErrBeyondEOF.
func (fs *Files) FaultRead(i int, off int64, buf []byte) error {
	return fs.fault(i, off, int64(len(buf)), false, func(page []byte) {
		n := copy(buf, page)
		clear(buf[n:])
	})
}

// FaultWrite stores data into the page containing off, keeping only the bytes
// inside the file. A page starting at or past end of file is sigbus.ErrBeyondEOF.
func (fs *Files) FaultWrite(i int, off int64, data []byte) error {
	return fs.fault(i, off, int64(len(data)), true, func(page []byte) { copy(page, data) })
}

// fault calls access with file i's bytes from the start of the page
// containing off to end of file, under the file's lock (exclusive when write),
// or returns sigbus.ErrBeyondEOF for a page starting at or past end of file.
func (fs *Files) fault(i int, off, n int64, write bool, access func(page []byte)) error {
	f, unlock, err := fs.lock(i, off, n, write)
	if err != nil {
		return err
	}
	defer unlock()
	p := off &^ (PageSize - 1)
	if p >= int64(len(f.data)) {
		return sigbus.ErrBeyondEOF
	}
	access(f.data[p:])
	return nil
}

// Punch zeros [off, off+length) within the file; the size is kept.
func (fs *Files) Punch(i int, off, length int64) error { return fs.zero(i, off, length) }

// ZeroRange zeros [off, off+length) within the file; the size is kept.
func (fs *Files) ZeroRange(i int, off, length int64) error { return fs.zero(i, off, length) }

func (fs *Files) zero(i int, off, length int64) error {
	f, unlock, err := fs.lock(i, off, length, true)
	if err != nil {
		return err
	}
	defer unlock()
	if size := int64(len(f.data)); off < size {
		clear(f.data[off:min(off+length, size)])
	}
	return nil
}

// Truncate sets the file's size: shrinking discards, growing adds zeros.
func (fs *Files) Truncate(i int, size int64) error {
	f, unlock, err := fs.lock(i, size, 0, true)
	if err != nil {
		return err
	}
	defer unlock()
	f.resize(size)
	return nil
}

// Advise does nothing (after checking its arguments).
func (fs *Files) Advise(i int, off, length int64) error {
	_, err := fs.file(i, off, length)
	return err
}

// Close does nothing.
func (fs *Files) Close() error { return nil }

// Contents returns a copy of file i's bytes; its length is the file's size.
func (fs *Files) Contents(i int) []byte {
	f := &fs.f[i]
	f.mu.RLock()
	defer f.mu.RUnlock()
	return slices.Clone(f.data)
}

// Size returns file i's size.
func (fs *Files) Size(i int) int64 {
	f := &fs.f[i]
	f.mu.RLock()
	defer f.mu.RUnlock()
	return int64(len(f.data))
}
