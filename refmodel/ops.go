package refmodel

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/rwbench/rwbench/sigbus"

	"github.com/rwbench/rwbench/oracle"
)

// Op kinds; the names are the op names of the results file.
const (
	KindRead     = "read"     // Read [Off, Off+Len)
	KindWrite    = "write"    // Write Len bytes of stamped pages at Off
	KindFault    = "fault"    // FaultRead of the page at Off (Len is PageSize)
	KindMkwrite  = "mkwrite"  // FaultWrite of a stamped page at Off (Len is PageSize)
	KindPunch    = "punch"    // Punch [Off, Off+Len)
	KindZero     = "zero"     // ZeroRange [Off, Off+Len)
	KindTruncate = "truncate" // Truncate to size Off (Len is 0)
	KindAdvise   = "advise"   // Advise [Off, Off+Len)
)

// numKinds is the number of op kinds.
const numKinds = 8

// kind returns the kind numbered i (0 <= i < numKinds), as DecodeOps numbers them.
func kind(i byte) string {
	switch i {
	case 0:
		return KindRead
	case 1:
		return KindWrite
	case 2:
		return KindFault
	case 3:
		return KindMkwrite
	case 4:
		return KindPunch
	case 5:
		return KindZero
	case 6:
		return KindTruncate
	}
	return KindAdvise
}

// maxOpPages is the most pages a read, write, punch, zero or advise spans.
const maxOpPages = 8

// Op is one operation of a stream. Offsets and lengths are in bytes and page
// aligned. Gen is the generation the pages of a write or mkwrite are stamped
// with (oracle.Fill with ino = File+1); streams make it unique per op.
type Op struct {
	Kind     string
	File     int
	Off, Len int64
	Gen      uint64
}

func (op Op) String() string {
	if op.Kind == KindTruncate {
		return fmt.Sprintf("truncate file %d size %d", op.File, op.Off)
	}
	s := fmt.Sprintf("%s file %d off %d len %d", op.Kind, op.File, op.Off, op.Len)
	if op.Kind == KindWrite || op.Kind == KindMkwrite {
		s += fmt.Sprintf(" gen %d", op.Gen)
	}
	return s
}

// limit is the largest size a stream makes a file: size rounded down to pages,
// at least one page.
func limit(size int64) int64 {
	return max(size&^(PageSize-1), PageSize)
}

// Valid reports why op is not one that Generate or DecodeOps could make for
// files files of at most size bytes.
func (op Op) Valid(files int, size int64) error {
	lim := limit(size)
	switch {
	case op.File < 0 || op.File >= files:
		return fmt.Errorf("%v: no file %d", op, op.File)
	case op.Off < 0 || op.Off%PageSize != 0 || op.Len < 0 || op.Len%PageSize != 0:
		return fmt.Errorf("%v: not page aligned", op)
	}
	switch op.Kind {
	case KindTruncate:
		if op.Len != 0 || op.Off > lim {
			return fmt.Errorf("%v: bad size", op)
		}
		return nil
	case KindFault, KindMkwrite:
		if op.Len != PageSize {
			return fmt.Errorf("%v: not one page", op)
		}
	case KindRead, KindWrite, KindPunch, KindZero, KindAdvise:
		if op.Len < PageSize || op.Len > maxOpPages*PageSize {
			return fmt.Errorf("%v: bad length", op)
		}
	default:
		return fmt.Errorf("%v: unknown kind", op)
	}
	if op.Off+op.Len > lim {
		return fmt.Errorf("%v: past %d", op, lim)
	}
	if (op.Kind == KindWrite || op.Kind == KindMkwrite) && op.Gen == 0 {
		return fmt.Errorf("%v: gen 0", op)
	}
	return nil
}

// Generate returns n ops over files files that start at, and never grow past,
// size bytes (rounded down to pages, at least one page), from a seeded
// math/rand/v2 PCG: the same arguments give the same stream. The mix is reads
// and writes of 1-8 pages, faults and mkwrites of one page, punches and zero
// ranges of 1-8 pages, truncates (down to a random page-aligned size, or back up
// when a file is short) and advises. Ops are drawn over the whole range, so some
// reach past end of file. Gen is the op's index + 1.
func Generate(seed int64, n int, files int, size int64) []Op {
	if n <= 0 || files <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x726562656e6368))
	pages := limit(size) / PageSize
	cur := make([]int64, files) // each file's size in pages, rounded up
	for i := range cur {
		cur[i] = min((size+PageSize-1)/PageSize, pages)
	}
	// span returns a page-aligned range of 1-8 pages inside the limit.
	span := func() (off, length int64) {
		p := r.Int64N(pages)
		return p * PageSize, (1 + r.Int64N(min(maxOpPages, pages-p))) * PageSize
	}
	ops := make([]Op, n)
	for i := range ops {
		op := Op{File: r.IntN(files), Gen: uint64(i) + 1}
		op.Kind = generated(r.IntN(100))
		switch op.Kind {
		case KindFault, KindMkwrite:
			op.Off, op.Len = r.Int64N(pages)*PageSize, PageSize
		case KindTruncate:
			c := cur[op.File]
			if c > 0 && (c == pages || r.IntN(2) == 0) {
				c = r.Int64N(c) // shrink
			} else {
				c += 1 + r.Int64N(pages-c) // grow again
			}
			cur[op.File] = c
			op.Off = c * PageSize
		default:
			op.Off, op.Len = span()
		}
		if op.Kind == KindWrite {
			cur[op.File] = max(cur[op.File], (op.Off+op.Len)/PageSize)
		}
		if op.Kind != KindWrite && op.Kind != KindMkwrite {
			op.Gen = 0
		}
		ops[i] = op
	}
	return ops
}

// generated is the kind of a generated op for w drawn uniformly from [0, 100):
// 28% reads, 22% writes, 10% faults, 8% mkwrites, 8% punches, 6% zero ranges,
// 10% truncates, 8% advises.
func generated(w int) string {
	switch {
	case w < 28:
		return KindRead
	case w < 50:
		return KindWrite
	case w < 60:
		return KindFault
	case w < 68:
		return KindMkwrite
	case w < 76:
		return KindPunch
	case w < 82:
		return KindZero
	case w < 92:
		return KindTruncate
	}
	return KindAdvise
}

// DecodeOps turns arbitrary bytes (a fuzzer's input) into a valid op stream over
// files files of at most size bytes: six bytes per op (kind, file, offset,
// length), the last op padded with zeros. Gen is the op's index + 1.
func DecodeOps(data []byte, files int, size int64) []Op {
	if files <= 0 {
		return nil
	}
	pages := limit(size) / PageSize
	ops := make([]Op, 0, (len(data)+5)/6)
	for i := 0; i < len(data); i += 6 {
		var b [6]byte
		copy(b[:], data[i:])
		op := Op{
			Kind: kind(b[0] % numKinds),
			File: int(b[1]) % files,
			Gen:  uint64(len(ops)) + 1,
		}
		v := int64(b[2]) | int64(b[3])<<8 | int64(b[4])<<16
		p := v % pages
		switch op.Kind {
		case KindTruncate:
			op.Off = v % (pages + 1) * PageSize
		case KindFault, KindMkwrite:
			op.Off, op.Len = p*PageSize, PageSize
		default:
			op.Off, op.Len = p*PageSize, (1+int64(b[5])%min(maxOpPages, pages-p))*PageSize
		}
		if op.Kind != KindWrite && op.Kind != KindMkwrite {
			op.Gen = 0
		}
		ops = append(ops, op)
	}
	return ops
}

// Apply runs op on w and returns its transcript: the op, then what it returned
// (counts, errors, and one line per page read: "zero", the stamp "ino/idx/gen"
// when the page is exactly oracle.Fill's, or a hash of the bytes otherwise).
// Written pages are built with oracle.Fill (ino = File+1, idx = page index,
// gen = op.Gen). The error is for an op Apply cannot run (unknown kind, no such
// file); the op's own error is part of the transcript.
func Apply(w Worker, op Op, files int) (transcript []byte, err error) {
	if op.File < 0 || op.File >= files {
		return nil, fmt.Errorf("refmodel: %v: no file %d of %d", op, op.File, files)
	}
	if op.Off < 0 || op.Len < 0 || op.Len > maxSize {
		return nil, fmt.Errorf("refmodel: %v: bad range", op)
	}
	t := fmt.Appendf(nil, "%v\n", op)
	ino := uint32(op.File) + 1
	switch op.Kind {
	case KindRead:
		buf := make([]byte, op.Len)
		n, err := w.Read(op.File, op.Off, buf)
		t = fmt.Appendf(t, "  n %d err %s\n", n, errString(err))
		t = appendPages(t, op.Off, buf[:max(0, min(n, len(buf)))])
	case KindWrite:
		data := make([]byte, op.Len)
		fill(data, ino, op.Off, op.Gen)
		n, err := w.Write(op.File, op.Off, data)
		t = fmt.Appendf(t, "  n %d err %s\n", n, errString(err))
	case KindFault:
		buf := make([]byte, PageSize)
		err := w.FaultRead(op.File, op.Off, buf)
		t = fmt.Appendf(t, "  err %s\n", errString(err))
		if err == nil {
			t = appendPages(t, op.Off, buf)
		}
	case KindMkwrite:
		data := make([]byte, PageSize)
		fill(data, ino, op.Off, op.Gen)
		t = fmt.Appendf(t, "  err %s\n", errString(w.FaultWrite(op.File, op.Off, data)))
	case KindPunch:
		t = fmt.Appendf(t, "  err %s\n", errString(w.Punch(op.File, op.Off, op.Len)))
	case KindZero:
		t = fmt.Appendf(t, "  err %s\n", errString(w.ZeroRange(op.File, op.Off, op.Len)))
	case KindTruncate:
		t = fmt.Appendf(t, "  err %s\n", errString(w.Truncate(op.File, op.Off)))
	case KindAdvise:
		t = fmt.Appendf(t, "  err %s\n", errString(w.Advise(op.File, op.Off, op.Len)))
	default:
		return nil, fmt.Errorf("refmodel: %v: unknown kind", op)
	}
	return t, nil
}

// fill stamps data, which starts at byte off of the file, page by page; a
// trailing partial page gets the start of its stamp.
func fill(data []byte, ino uint32, off int64, gen uint64) {
	var page [PageSize]byte
	for i := 0; i < len(data); i += PageSize {
		idx := uint64(off/PageSize) + uint64(i/PageSize)
		if i+PageSize <= len(data) {
			oracle.Fill(data[i:i+PageSize], ino, idx, gen)
			continue
		}
		oracle.Fill(page[:], ino, idx, gen)
		copy(data[i:], page[:])
	}
}

// appendPages appends one line per page of data, read at byte off of the file.
func appendPages(t []byte, off int64, data []byte) []byte {
	for i := 0; i < len(data); i += PageSize {
		p := data[i:min(i+PageSize, len(data))]
		t = fmt.Appendf(t, "  page %d ", (off+int64(i))/PageSize)
		switch s, ok := oracle.Decode(p); {
		case len(p) < PageSize:
			h := fnv.New64a()
			h.Write(p)
			t = fmt.Appendf(t, "partial %d %016x\n", len(p), h.Sum64())
		case oracle.IsZero(p):
			t = append(t, "zero\n"...)
		case ok && oracle.Match(p, s):
			t = fmt.Appendf(t, "%d/%d/%d\n", s.Ino, s.Idx, s.Gen)
		default:
			h := fnv.New64a()
			h.Write(p)
			t = fmt.Appendf(t, "bytes %016x\n", h.Sum64())
		}
	}
	return t
}

// errString names an error for a transcript: targets' messages differ, so the
// known errors get fixed names.
func errString(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, sigbus.ErrBeyondEOF):
		return "beyond-eof"
	}
	return fmt.Sprintf("%q", err.Error())
}

// opPrefix starts each op's transcript in Run's output.
const opPrefix = "op "

// Run applies ops in order and returns their transcripts, each headed by
// "op <index>: ", so that Diff (or any diff) names the first op that differs.
// It stops at the first op Apply cannot run.
func Run(w Worker, ops []Op, files int) ([]byte, error) {
	var out []byte
	for i, op := range ops {
		t, err := Apply(w, op, files)
		if err != nil {
			return out, fmt.Errorf("op %d: %w", i, err)
		}
		out = fmt.Appendf(out, "%s%d: ", opPrefix, i)
		out = append(out, t...)
	}
	return out, nil
}

// Diff compares two of Run's transcripts and describes the first op whose
// transcript differs, or returns "" when they are equal.
func Diff(a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	as, bs := splitOps(a), splitOps(b)
	for i := range max(len(as), len(bs)) {
		var x, y []byte
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if bytes.Equal(x, y) {
			continue
		}
		switch {
		case x == nil:
			return fmt.Sprintf("only b has %s", firstLine(y))
		case y == nil:
			return fmt.Sprintf("only a has %s", firstLine(x))
		}
		xl, yl := bytes.Split(x, []byte("\n")), bytes.Split(y, []byte("\n"))
		for j := range min(len(xl), len(yl)) {
			if !bytes.Equal(xl[j], yl[j]) {
				return fmt.Sprintf("%s: a has %q, b has %q", firstLine(x), bytes.TrimSpace(xl[j]), bytes.TrimSpace(yl[j]))
			}
		}
		return fmt.Sprintf("%s: a has %d lines, b has %d", firstLine(x), len(xl), len(yl))
	}
	return "the transcripts differ outside any op"
}

// splitOps splits a Run transcript into its ops' transcripts.
func splitOps(t []byte) [][]byte {
	var ops [][]byte
	for len(t) > 0 {
		next := bytes.Index(t[1:], []byte("\n"+opPrefix))
		if next < 0 {
			ops = append(ops, t)
			break
		}
		ops = append(ops, t[:next+2])
		t = t[next+2:]
	}
	return ops
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
