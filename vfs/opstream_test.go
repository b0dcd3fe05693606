package vfs_test

// A byte-array reference model of the model's operations (fsx style), a seeded
// generator and a byte decoder of operation streams, and the transcript that
// metamorphic_test.go and fuzz_test.go compare. The refmodel package may grow
// into the shared version of this; these tests keep their own so they never
// wait on it.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/rwbench/rwbench/sigbus"
	"math/rand/v2"
	"strings"

	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/vfs"
)

const ps = vfs.PageSize

type opKind uint8

const (
	opRead opKind = iota
	opWrite
	opFaultRead
	opFaultWrite
	opPunch
	opZero
	opTruncate
	opAdvise
	opQuiesce
	numOpKinds
)

var opNames = [numOpKinds]string{"read", "write", "fault", "mkwrite", "punch", "zero", "truncate", "advise", "quiesce"}

func (k opKind) String() string { return opNames[k] }

// op is one operation of a stream. Offsets and lengths are in bytes; for a
// truncate n is the new size.
type op struct {
	kind opKind
	file int
	off  int64
	n    int64
	gen  uint64 // write and mkwrite: the generation of the first page's stamp
}

func (o op) String() string {
	switch o.kind {
	case opQuiesce:
		return "quiesce"
	case opTruncate:
		return fmt.Sprintf("truncate f%d size=%dp", o.file, o.n/ps)
	case opFaultRead, opFaultWrite:
		return fmt.Sprintf("%s f%d p%d", o.kind, o.file, o.off/ps)
	}
	if o.off%ps != 0 || o.n%ps != 0 {
		return fmt.Sprintf("%s f%d byte %d+%d", o.kind, o.file, o.off, o.n)
	}
	return fmt.Sprintf("%s f%d p%d+%d", o.kind, o.file, o.off/ps, o.n/ps)
}

// data is what a write or mkwrite stores: stamped pages (oracle.Fill).
func (o op) data() []byte {
	n := o.n
	if o.kind == opFaultWrite {
		n = ps
	}
	b := make([]byte, n)
	for i := int64(0); i < n/ps; i++ {
		oracle.Fill(b[i*ps:(i+1)*ps], uint32(o.file+1), uint64(o.off/ps+i), o.gen+uint64(i))
	}
	return b
}

// opTarget is what a stream runs on: a *vfs.Task or a *refFS.
type opTarget interface {
	Read(file int, off int64, buf []byte) (int, error)
	Write(file int, off int64, data []byte) (int, error)
	FaultRead(file int, off int64, buf []byte) error
	FaultWrite(file int, off int64, data []byte) error
	Punch(file int, off, length int64) error
	ZeroRange(file int, off, length int64) error
	Truncate(file int, size int64) error
	Advise(file int, off, length int64) error
}

// runOps runs ops on tg and returns the transcript: one line per op with what
// it returned (counts, error class, and every returned page, exactly). after,
// if not nil, runs after each op.
func runOps(tg opTarget, quiesce func() error, ops []op, after func()) []string {
	out := make([]string, 0, len(ops))
	for i, o := range ops {
		if i > 0 && after != nil {
			after()
		}
		var res string
		switch o.kind {
		case opRead:
			buf := make([]byte, o.n)
			n, err := tg.Read(o.file, o.off, buf)
			res = fmt.Sprintf("n=%d err=%s data=%s", n, errClass(err), pagesSummary(buf[:max(n, 0)]))
		case opWrite:
			n, err := tg.Write(o.file, o.off, o.data())
			res = fmt.Sprintf("n=%d err=%s", n, errClass(err))
		case opFaultRead:
			buf := make([]byte, ps)
			err := tg.FaultRead(o.file, o.off, buf)
			res = "err=" + errClass(err)
			if err == nil {
				res += " data=" + pagesSummary(buf)
			}
		case opFaultWrite:
			res = "err=" + errClass(tg.FaultWrite(o.file, o.off, o.data()))
		case opPunch:
			res = "err=" + errClass(tg.Punch(o.file, o.off, o.n))
		case opZero:
			res = "err=" + errClass(tg.ZeroRange(o.file, o.off, o.n))
		case opTruncate:
			res = "err=" + errClass(tg.Truncate(o.file, o.n))
		case opAdvise:
			res = "err=" + errClass(tg.Advise(o.file, o.off, o.n))
		case opQuiesce:
			if quiesce != nil {
				res = "err=" + errClass(quiesce())
			} else {
				res = "err=nil"
			}
		}
		out = append(out, fmt.Sprintf("%d %v: %s", i, o, res))
	}
	return out
}

// errClass names an error by the model's sentinel it wraps.
func errClass(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, sigbus.ErrBeyondEOF):
		return "EOF"
	case errors.Is(err, vfs.ErrAlign):
		return "ALIGN"
	case errors.Is(err, vfs.ErrTooLarge):
		return "TOOLARGE"
	case errors.Is(err, vfs.ErrNoFile):
		return "NOFILE"
	}
	return "ERR(" + err.Error() + ")"
}

// pagesSummary describes b exactly but cheaply (the race detector makes byte
// loops slow): the stamp header of each page ("file.page.gen", "z" for a zero
// header, "?" for none) and a SHA-256 of all of b.
func pagesSummary(b []byte) string {
	var s strings.Builder
	s.WriteByte('[')
	for i := 0; i < len(b); i += ps {
		if i > 0 {
			s.WriteByte(' ')
		}
		p := b[i:min(i+ps, len(b))]
		if st, ok := oracle.Decode(p); ok {
			fmt.Fprintf(&s, "%d.%d.%d", int64(st.Ino)-1, st.Idx, st.Gen)
		} else if len(p) >= oracle.HeaderSize && bytes.Equal(p[:oracle.HeaderSize], zeroHeader[:]) {
			s.WriteByte('z')
		} else {
			s.WriteByte('?')
		}
	}
	sum := sha256.Sum256(b)
	fmt.Fprintf(&s, "] sha=%x", sum[:8])
	return s.String()
}

var zeroHeader [oracle.HeaderSize]byte

// refFS is the reference model: one byte array per file and its size.
type refFS struct {
	pages int64
	data  [][]byte
	size  []int64
}

func newRefFS(files int, pages int64) *refFS {
	r := &refFS{pages: pages}
	for range files {
		r.data = append(r.data, make([]byte, pages*ps))
		r.size = append(r.size, pages*ps)
	}
	return r
}

func (r *refFS) file(f int) error {
	if f < 0 || f >= len(r.data) {
		return fmt.Errorf("file %d: %w", f, vfs.ErrNoFile)
	}
	return nil
}

// pageRange is the model's range check: aligned, clipped to the file's pages.
func (r *refFS) pageRange(f int, off, length int64) (int64, int64, error) {
	if err := r.file(f); err != nil {
		return 0, 0, err
	}
	if off < 0 || length < 0 || off%ps != 0 || length%ps != 0 {
		return 0, 0, vfs.ErrAlign
	}
	first, end := min(off/ps, r.pages), min((off+length)/ps, r.pages)
	return first, end, nil
}

func (r *refFS) Read(f int, off int64, buf []byte) (int, error) {
	if err := r.file(f); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size[f] {
		return 0, nil
	}
	end := min(off+int64(len(buf)), r.size[f])
	return copy(buf, r.data[f][off:end]), nil
}

func (r *refFS) Write(f int, off int64, data []byte) (int, error) {
	first, end, err := r.pageRange(f, off, int64(len(data)))
	if err != nil {
		return 0, err
	}
	if (end-first)*ps != int64(len(data)) {
		return 0, vfs.ErrTooLarge
	}
	if len(data) == 0 {
		return 0, nil
	}
	copy(r.data[f][off:], data)
	r.size[f] = max(r.size[f], end*ps)
	return len(data), nil
}

func (r *refFS) faultPage(f int, off int64) error {
	if err := r.file(f); err != nil {
		return err
	}
	if off < 0 || off%ps != 0 || off/ps >= r.pages {
		return vfs.ErrAlign
	}
	if off >= r.size[f] {
		return sigbus.ErrBeyondEOF
	}
	return nil
}

func (r *refFS) FaultRead(f int, off int64, buf []byte) error {
	if err := r.faultPage(f, off); err != nil {
		return err
	}
	copy(buf, r.data[f][off:off+ps])
	return nil
}

func (r *refFS) FaultWrite(f int, off int64, data []byte) error {
	if err := r.faultPage(f, off); err != nil {
		return err
	}
	p := r.data[f][off : off+ps]
	clear(p)
	copy(p, data)
	return nil
}

func (r *refFS) zero(f int, off, length int64) error {
	first, end, err := r.pageRange(f, off, length)
	if err != nil {
		return err
	}
	clear(r.data[f][first*ps : end*ps])
	return nil
}

func (r *refFS) Punch(f int, off, length int64) error     { return r.zero(f, off, length) }
func (r *refFS) ZeroRange(f int, off, length int64) error { return r.zero(f, off, length) }

func (r *refFS) Truncate(f int, size int64) error {
	if err := r.file(f); err != nil {
		return err
	}
	if size < 0 || size%ps != 0 {
		return vfs.ErrAlign
	}
	if size/ps > r.pages {
		return vfs.ErrTooLarge
	}
	if size < r.size[f] {
		clear(r.data[f][size:])
	}
	r.size[f] = size
	return nil
}

func (r *refFS) Advise(f int, off, length int64) error {
	_, _, err := r.pageRange(f, off, length)
	return err
}

// genOps is a seeded stream of n page-aligned ops over files files of pages
// pages: reads (random and continuing the last read, for readahead), writes,
// faults, mkwrites, punches, zero ranges, truncates (down and up), advises and
// a few Quiesce calls, with some ops past EOF and past the maximum size.
func genOps(seed uint64, n, files int, pages int64) []op {
	rnd := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	gen := uint64(1)
	next := make([]int64, files) // where the last read of each file ended
	page := func() int64 {
		if rnd.IntN(20) == 0 {
			return pages - 2 + rnd.Int64N(5) // around and past the end
		}
		return rnd.Int64N(pages)
	}
	ops := make([]op, 0, n+2*files)
	for range n {
		o := op{file: rnd.IntN(files)}
		switch r := rnd.IntN(100); {
		case r < 26:
			o.kind = opRead
			if rnd.IntN(5) < 2 {
				o.off = next[o.file]
			} else {
				o.off = page() * ps
			}
			o.n = (1 + rnd.Int64N(16)) * ps
			if rnd.IntN(8) == 0 {
				o.n = (16 + rnd.Int64N(48)) * ps
			}
			if rnd.IntN(8) == 0 { // read(2) takes any offset and length
				o.off += rnd.Int64N(ps)
				o.n -= rnd.Int64N(ps)
			}
			next[o.file] = (o.off + o.n + ps - 1) / ps * ps
			if next[o.file] >= pages*ps {
				next[o.file] = 0
			}
		case r < 46:
			o.kind, o.off, o.n = opWrite, page()*ps, (1+rnd.Int64N(8))*ps
		case r < 58:
			o.kind, o.off = opFaultRead, page()*ps
		case r < 66:
			o.kind, o.off = opFaultWrite, page()*ps
		case r < 74:
			o.kind, o.off, o.n = opPunch, page()*ps, (1+rnd.Int64N(12))*ps
		case r < 80:
			o.kind, o.off, o.n = opZero, page()*ps, (1+rnd.Int64N(12))*ps
		case r < 86:
			o.kind, o.n = opTruncate, rnd.Int64N(pages+1)*ps
			if rnd.IntN(3) == 0 {
				o.n = pages * ps // grow back to full
			}
		case r < 97:
			o.kind, o.off, o.n = opAdvise, page()*ps, (1+rnd.Int64N(32))*ps
		default:
			o.kind = opQuiesce
		}
		switch o.kind {
		case opWrite:
			o.gen = gen
			gen += uint64(o.n / ps)
		case opFaultWrite:
			o.gen = gen
			gen++
		}
		ops = append(ops, o)
	}
	return withFinalReads(ops, files, pages)
}

// withFinalReads ends a stream with a Quiesce and a cold read of every file, so
// the transcript covers the final contents as read back from the store.
func withFinalReads(ops []op, files int, pages int64) []op {
	ops = append(ops, op{kind: opQuiesce})
	for f := range files {
		ops = append(ops, op{kind: opRead, file: f, n: pages * ps})
	}
	return ops
}

// decodeOps turns fuzz bytes into a stream of at most maxOps ops, four bytes
// each: kind, file, page, length. Ranges reach a little past the end of file;
// reads whose kind byte has the top bit set are not page aligned.
func decodeOps(b []byte, files int, pages int64, maxOps int) []op {
	var ops []op
	gen := uint64(1)
	for len(b) >= 4 && len(ops) < maxOps {
		k, f, p, l := b[0], b[1], b[2], b[3]
		b = b[4:]
		o := op{kind: opKind(k % uint8(numOpKinds)), file: int(f) % files}
		o.off = int64(p) % (pages + 2) * ps
		o.n = (1 + int64(l)%(pages+2)) * ps
		switch o.kind {
		case opRead:
			if k&0x80 != 0 { // read(2) takes any offset and length
				o.off += int64(f>>1) * 53 % ps
				o.n -= int64(l>>1) * 29 % ps
			}
		case opTruncate:
			o.n = int64(l) % (pages + 2) * ps
		case opWrite:
			o.n = int64(l) % 9 * ps // a zero-length write too
			o.gen = gen
			gen += uint64(o.n / ps)
		case opFaultWrite:
			o.gen = gen
			gen++
		}
		ops = append(ops, o)
	}
	return withFinalReads(ops, files, pages)
}

// diffTranscripts returns a description of the first difference, or "".
func diffTranscripts(aName string, a []string, bName string, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			from := max(0, i-3)
			return fmt.Sprintf("first difference at op %d\ncontext:\n  %s\n%s: %s\n%s: %s",
				i, strings.Join(a[from:i], "\n  "), aName, a[i], bName, b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%s has %d lines, %s has %d", aName, len(a), bName, len(b))
	}
	return ""
}
