package oracle

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/results"
)

// stripes is the number of counter sets Oracle.Check spreads over, by page.
const stripes = 32

// opCounters are the counts of one op kind.
type opCounters struct {
	checked, stale, foreign, corrupt, torn atomic.Int64
}

// counters are one worker's (or one stripe's) counts, padded so that no two
// workers' counters share a cache line.
type counters struct {
	_   [cacheLine]byte
	ops [numOps]opCounters
	_   [cacheLine]byte
}

// Checker checks pages with counters of its own: give each worker goroutine one
// (NewChecker) so counting is never a shared cache line. Oracle.Verify merges them.
type Checker struct {
	o *Oracle
	c counters
}

// Findings returns the stale, foreign and torn findings of the checks made
// through c.
func (c *Checker) Findings() results.Findings {
	var f results.Findings
	for k := range c.c.ops {
		f.Stale += c.c.ops[k].stale.Load()
		f.Foreign += c.c.ops[k].foreign.Load()
		f.Torn += c.c.ops[k].torn.Load()
	}
	return f
}

// NewChecker returns a Checker for one worker.
func (o *Oracle) NewChecker() *Checker {
	c := &Checker{o: o}
	o.mu.Lock()
	o.checkers = append(o.checkers, c)
	o.mu.Unlock()
	return c
}

// Check is Oracle.Check with this Checker's counters.
func (c *Checker) Check(op OpKind, file int, idx uint64, floor int64, page []byte) Finding {
	return c.o.check(&c.c, op, file, idx, floor, page)
}

// Check judges the page (PageSize bytes) that op returned for page idx of file,
// given the page's floor word from the Snapshot taken before the op began. It
// counts the check and any finding, keeps the first findings' messages, and
// returns the verdict. Counters are striped by page; workers should prefer a
// Checker of their own.
func (o *Oracle) Check(op OpKind, file int, idx uint64, floor int64, page []byte) Finding {
	s := (idx*0x9E3779B97F4A7C15 + uint64(file)) >> (64 - 5) // stripes == 32
	return o.check(&o.shared[s], op, file, idx, floor, page)
}

func (o *Oracle) check(c *counters, op OpKind, file int, idx uint64, floor int64, page []byte) Finding {
	if o.level == Off {
		return OK
	}
	if len(page) != PageSize {
		panic("oracle: Check needs a 4096-byte page")
	}
	oc := &c.ops[op]
	oc.checked.Add(1)
	f := o.files[file]
	h := page[:HeaderSize]
	if binary.LittleEndian.Uint32(h[0:]) == Magic {
		if binary.LittleEndian.Uint32(h[24:]) != crc32.Update(0, o.crc, h[:24]) {
			return o.garbage(oc, op, f, file, idx, floor, page, Foreign, "a bad header checksum")
		}
		ino, pidx, gen := binary.LittleEndian.Uint32(h[4:]), binary.LittleEndian.Uint64(h[8:]), binary.LittleEndian.Uint64(h[16:])
		if ino != uint32(file)+1 || pidx != idx {
			oc.foreign.Add(1)
			if o.wantNote() {
				o.note(fmt.Sprintf("foreign: %v file %d page %d returned file %d page %d gen %d",
					op, file, idx, int64(ino)-1, pidx, gen))
			}
			return Foreign
		}
		end, ok := f.find(idx, gen)
		if !ok {
			return o.unknownGen(oc, op, f, file, idx, gen, floor)
		}
		if ft := floor >> tickShift; end < ft {
			oc.stale.Add(1)
			if o.wantNote() {
				o.note(fmt.Sprintf("stale: %v file %d page %d returned gen %d (ended %v before the floor set by %s)",
					op, file, idx, gen, time.Duration(ft-end), f.describe(idx, ft)))
			}
			return Stale
		}
		if o.level == Full && (binary.LittleEndian.Uint32(h[28:]) != 0 || !payloadMatches(page, Stamp{ino, idx, gen})) {
			return o.garbage(oc, op, f, file, idx, floor, page, Corrupt, "a payload not its own under a valid header")
		}
		return OK
	}
	if !headerZero(h) {
		return o.garbage(oc, op, f, file, idx, floor, page, Foreign, "a page with no stamp")
	}
	if o.level == Full && !IsZero(page) {
		return o.garbage(oc, op, f, file, idx, floor, page, Foreign, "a zero header over a nonzero payload")
	}
	ft := floor >> tickShift
	if ft == 0 {
		return OK // nothing had completed: the page may still be the initial hole
	}
	z := f.zeros[idx].Load()
	if z&zeroInflightMask != 0 || z>>tickShift >= ft {
		return OK
	}
	oc.stale.Add(1)
	if o.wantNote() {
		if z>>tickShift == 0 {
			o.note(fmt.Sprintf("stale: %v file %d page %d returned zeros (never zeroed; the floor is set by %s)",
				op, file, idx, f.describe(idx, ft)))
		} else {
			o.note(fmt.Sprintf("stale: %v file %d page %d returned zeros (last zeroing ended %v before the floor set by %s)",
				op, file, idx, time.Duration(ft-z>>tickShift), f.describe(idx, ft)))
		}
	}
	return Stale
}

// unknownGen judges a stamp of this page whose gen the oracle does not hold as
// a write of the page: stale if its chunk was retired (a write of this page
// that is gone was dead before this read's Snapshot, see Retirement), foreign
// otherwise.
func (o *Oracle) unknownGen(oc *opCounters, op OpKind, f *fileState, file int, idx, gen uint64, floor int64) Finding {
	if f.isRetired(gen) {
		oc.stale.Add(1)
		if o.wantNote() {
			o.note(fmt.Sprintf("stale: %v file %d page %d returned gen %d (retired: it ended before the floor set by %s)",
				op, file, idx, gen, f.describe(idx, floor>>tickShift)))
		}
		return Stale
	}
	oc.foreign.Add(1)
	if o.wantNote() {
		o.note(fmt.Sprintf("foreign: %v file %d page %d returned gen %d, never written to this page",
			op, file, idx, gen))
	}
	return Foreign
}

// garbage judges a page that is not a clean value: torn when a mutation of
// the page may have overlapped the read or the page is tainted, otherwise
// reported as verdict.
func (o *Oracle) garbage(oc *opCounters, op OpKind, f *fileState, file int, idx uint64, floor int64, page []byte, verdict Finding, what string) Finding {
	switch {
	case floor&(inflightMask|taintBit) != 0 || f.pages[idx].floor.Load() != floor:
		verdict = Torn
		oc.torn.Add(1)
	case verdict == Corrupt:
		oc.corrupt.Add(1)
	default:
		oc.foreign.Add(1)
	}
	if o.wantNote() {
		if s, ok := Decode(page); ok {
			what += fmt.Sprintf(" (gen %d)", s.Gen)
		}
		o.note(fmt.Sprintf("%v: %v file %d page %d returned %s", verdict, op, file, idx, what))
	}
	return verdict
}

// wantNote reports whether a finding's message would still be kept, so that
// messages are formatted only for the first maxExamples findings.
func (o *Oracle) wantNote() bool { return o.nexample.Load() < maxExamples }

// note keeps the message of one of the first maxExamples findings.
func (o *Oracle) note(s string) {
	o.mu.Lock()
	if len(o.examples) < maxExamples {
		o.examples = append(o.examples, s)
		o.nexample.Store(int32(len(o.examples)))
	}
	o.mu.Unlock()
}

// describe names the mutation of page idx that started at tick ft.
func (f *fileState) describe(idx uint64, ft int64) string {
	return f.name(idx, ft, "zeroing gen %d")
}

// name names the mutation of page idx that started at tick ft: "gen N", a
// zeroing as zeroing formats its gen, or its start where the table no longer
// holds it.
func (f *fileState) name(idx uint64, ft int64, zeroing string) string {
	gen, zero, ok := f.setter(idx, ft)
	switch {
	case !ok:
		return mutationAt(ft)
	case zero:
		return fmt.Sprintf(zeroing, gen)
	}
	return fmt.Sprintf("gen %d", gen)
}

// mutationAt names a mutation by its start tick ft alone.
func mutationAt(ft int64) string {
	return fmt.Sprintf("a mutation that started at %v", time.Duration(ft-1))
}

// Verify returns the counts over all checks so far, with ByOp for every op kind
// checked at least once, and the first findings' messages.
func (o *Oracle) Verify() results.Verify {
	o.mu.Lock()
	defer o.mu.Unlock()
	var sum [numOps][5]int64
	add := func(c *counters) {
		for k := range c.ops {
			oc := &c.ops[k]
			sum[k][0] += oc.checked.Load()
			sum[k][1] += oc.stale.Load()
			sum[k][2] += oc.foreign.Load()
			sum[k][3] += oc.corrupt.Load()
			sum[k][4] += oc.torn.Load()
		}
	}
	for i := range o.shared {
		add(&o.shared[i])
	}
	for _, c := range o.checkers {
		add(&c.c)
	}
	var v results.Verify
	for k, s := range sum {
		v.Checked += s[0]
		v.Stale += s[1]
		v.Foreign += s[2]
		v.Corrupt += s[3]
		v.Torn += s[4]
		if s[0] > 0 {
			if v.ByOp == nil {
				v.ByOp = make(map[string]results.Findings)
			}
			v.ByOp[OpKind(k).String()] = results.Findings{Stale: s[1], Foreign: s[2], Torn: s[4]}
		}
	}
	v.Examples = append([]string(nil), o.examples...)
	return v
}

// CheckFinal checks page idx of file as read back after every operation has
// ended (the fsck content check). The page must hold the value of a maximal
// mutation: one not strictly followed (started after it ended) by another
// completed mutation of the page; zeros qualify through a maximal zeroing, or
// when the page was never mutated. It checks the payload whatever the level,
// except Off, where it returns nil. The error is one line.
func (o *Oracle) CheckFinal(file int, idx uint64, page []byte) error {
	if o.level == Off {
		return nil
	}
	f := o.files[file]
	w := f.pages[idx].floor.Load()
	ft, tainted := w>>tickShift, w&taintBit != 0
	if w&inflightMask != 0 {
		return fmt.Errorf("file %d page %d: a mutation is still in flight", file, idx)
	}
	s, ok := Decode(page)
	switch {
	case ok && (s.Ino != uint32(file)+1 || s.Idx != idx):
		return fmt.Errorf("file %d page %d: holds file %d page %d gen %d, the final state is %s",
			file, idx, int64(s.Ino)-1, s.Idx, s.Gen, o.finalState(f, idx, ft))
	case ok:
		end, held := f.find(idx, s.Gen)
		if !held && !f.isRetired(s.Gen) {
			return fmt.Errorf("file %d page %d: holds gen %d, never written to this page", file, idx, s.Gen)
		}
		if !Match(page, s) && !tainted {
			return fmt.Errorf("file %d page %d: holds gen %d with a payload not its own", file, idx, s.Gen)
		}
		if held && end >= ft {
			return nil
		}
		return fmt.Errorf("file %d page %d: holds gen %d, the final state is %s", file, idx, s.Gen, o.finalState(f, idx, ft))
	case IsZero(page):
		if f.zeros[idx].Load()>>tickShift >= ft {
			return nil
		}
		return fmt.Errorf("file %d page %d: holds zeros, the final state is %s", file, idx, o.finalState(f, idx, ft))
	case tainted:
		return nil // concurrent mutations of the page may have left a torn value
	}
	return fmt.Errorf("file %d page %d: holds no valid stamp, the final state is %s", file, idx, o.finalState(f, idx, ft))
}

// finalState names the mutation that set the page's final floor, scanning the
// table for the first maxNamed errors only.
func (o *Oracle) finalState(f *fileState, idx uint64, ft int64) string {
	if ft == 0 {
		return "zeros (never mutated)"
	}
	if o.nnamed.Add(1) > maxNamed {
		return mutationAt(ft)
	}
	return f.name(idx, ft, "zeros (gen %d)")
}
