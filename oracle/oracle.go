// Package oracle proves that a target returned stale or foreign data, from outside
// the target (docs/design.md section 6).
//
// # Stamps
//
// Every page a workload writes is made by Fill: a 32-byte self-checking header
// (magic, ino = file index + 1, page index, generation, CRC-32C) and a payload
// derived from the three, so any 4 KiB read checks itself. An all-zero page is a
// hole or a zeroed range.
//
// # What the oracle knows
//
// The oracle sits in the runner's workers around each target operation, so it
// never sees the instant an operation takes effect, only its interval: a tick
// (monotonic ns since New, plus one) read before the call and one read after.
// Each mutation of a page (a page written by write(2) or through a mapping, or a
// range zeroed by punch, zero-range or truncate) gets a generation, unique per
// file, and an entry {start, end, what} in a per-file table of chunked atomic
// words: written once by Begin and End, read without locks; only growing the
// table takes a mutex, once per 4096 mutations. Entries no read can need any
// more leave the table (Retirement, below).
//
// Each page has two atomic words:
//
//	floor word: floor tick <<12 | taint | contended | in-flight count (10 bits)
//	zero word:  latest end tick of a completed zeroing <<12 | zeroings in flight
//
// The floor is the largest start tick over the page's completed mutations.
//
// # The rule, and why it has no false positives
//
// The target serializes the mutations of a page (i_rwsem), so they take effect in
// some order, each at an instant inside its interval. A read snapshots the floor
// word (Snapshot) before calling the target and checks what it got after
// (Check). Let m* be the completed mutation whose start is the snapshot's floor
// F. A correct read returns the value of a mutation v that took effect no earlier
// than m*; so v.end >= effect(v) >= effect(m*) >= m*.start = F. Hence:
//
//   - a stamp of this page whose mutation ended before F is stale: that value was
//     overwritten by m*, which completed before the read began;
//   - a stamp whose mutation is still in flight, or ended at or after F, is fine;
//   - zeros are fine iff a zeroing of the page is in flight, or one ended at or
//     after F, or F is 0 (nothing completed before the read: the page may still
//     be the initial hole); the zero word answers both in one load;
//   - a stamp of another file or page, or of a generation never written to this
//     page, is foreign whatever the timing (but see Retirement for a generation
//     the oracle no longer holds).
//
// Nothing here depends on how long an operation took: an operation that overlaps
// a mutation is judged leniently (its value may come from either side), never
// wrongly.
//
// # Torn pages
//
// A store that copies out of a page without locking it against writers (the
// host kernel's read(2) on ext4) may return, for a read that overlaps a write
// of the same page, a mix of both values: a bad header checksum, a payload that
// does not match its header, or half zeros. Such an undecodable page is torn
// (not foreign) when a mutation of the page may have overlapped the read: one
// was in flight at the snapshot or is at the check, or the floor word changed
// in between (a mutation that began after the snapshot starts strictly after
// the snapshot's floor, because Begin raises a start tick that would tie it).
// Two mutations of one page that overlap each other (a store through a mapping
// racing a write(2)) can leave a torn value behind; Begin marks such a busy
// period contended, and the page stays tainted, with undecodable values torn,
// until a mutation runs alone. An undecodable page with none of this is
// foreign. Torn reads are counted (Verify.Torn, by op and job) like the other
// findings; whether one is a fault depends on the store (results.Cell.TornIsFinding):
// the model publishes pages whole, so there it is a bug.
//
// # Retirement
//
// One entry per mutation for the whole run grows without bound (24 bytes a
// mutation: 14 MiB a minute at 10k writes/s), so StartRetiring drops entries
// no read can need, RCU style, leaving memory bounded by the pages, not by the
// mutations. A mutation g is dead once the floor of every page it mutated is
// above g.end (floors only grow). A read whose Snapshot loads that floor
// afterwards has F > g.end, so g's value is stale for it; a read that
// snapshotted earlier may still rightly return g, and needs g's end.
//
// Whenever a chunk is started (and every 100 ms) a goroutine takes each file's
// full chunks whose mutations have all completed (the entries are immutable
// from then on), oldest first, stopping at one with a mutation in flight:
//
//  1. It scans them. Each page's newest write goes to the page's slot (gen,
//     start, end; 24 bytes a page, whatever its age). Every other mutation that
//     is not dead goes to the file's kept map, as does a slot's previous
//     occupant that is not dead or whose chunk is gone already. Then it finds
//     the dead in kept.
//  2. After a grace period, when every read in flight at the end of the scan
//     has ended (the Readers, given by the runner), it drops the dead in kept
//     and the chunks, first raising the file's retired mark to their last gen.
//
// What survives is what is not dead: the last mutation of a page not mutated
// since, writes that overlapped the one that set the floor or were aborted
// after it, a zeroing of a page not rewritten. Past a page's newest write (its
// slot) that is rare, so the oracle holds the slots, a small kept map and the
// chunks of about one round, however long the run.
//
// Check looks in the table first, as before; on a miss in the page's slot,
// then in kept. A stamp of the page whose gen is in none of them and at or
// below the retired mark is stale. Why that is no false positive: such a gen g
// was a mutation of the page (see below) that the scan found dead, loading the
// page's floor F0 > g.end. If the read's Snapshot loaded the floor after that
// load, its F >= F0 > g.end and g is stale for it; its chunk would have said
// the same. Otherwise the read was in flight before the scan's load, so before
// the grace period's Mark, and the drop waited for its Checks, which found g:
// in its chunk, or in the slot or kept map, where the scan put it before the
// chunk went. The Readers see a read as in flight from before its Snapshot to
// after its last Check, and all of this is sequentially consistent atomics, so
// "before" is one total order (runner/grace.go spells out the runner's side).
// A reader that finds a slot being rewritten misses it and goes on to kept,
// where the scan put the displaced write first; a slot's gens only grow, so a
// reader that loads the same gen before and after its end loaded that gen's end.
// Nothing ever waits on a read: the workers pay nothing for retirement.
//
// The price: a gen the oracle no longer holds cannot be told "never written to
// this page" from "retired", so a stamp naming this file and page, with a valid
// header checksum, and a retired gen of another page or of a zeroing is judged
// stale, not foreign. Only Fill makes such a header, and the workload fills a
// page only with the gen BeginWrite returned for that page, so this can only
// mislabel a bug of the harness. The messages and CheckFinal still name a
// page's final state: the mutation that set a page's floor started at the
// floor, so it is never dead. Without StartRetiring (tests calling Check
// directly) nothing is retired.
//
// # Costs
//
// Check with Header: one CRC-32C of 24 bytes (with the table looked up once, in
// New: a lookup per call was a quarter of a Check), two loads of the gen's
// entry, found through two pointers, or for a retired gen three loads of the
// page's slot, next to the floor word Snapshot loaded (a read lock on kept only
// if that misses too), one counter increment. Counters are per Checker (one per
// worker, merged by Verify), or striped by page for Oracle.Check. Findings
// format a message only for the first 20. A mutation costs one CAS per page at
// Begin and at End (two for a zeroing) and 24 bytes of table until retired.
// Memory: 40 bytes a page (floor word and slot together, the zero word, the
// slot's start), the kept map, and the chunks not yet retired (96 KiB each). Retirement reads each chunk twice, and the
// floors of each kept mutation once a round, on its own goroutine.
package oracle

import (
	"fmt"
	"hash/crc32"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

const (
	cacheLine = 128 // two lines: adjacent-line prefetch makes 64 too few

	// Floor word layout.
	inflightMask = 1<<10 - 1
	contendedBit = 1 << 10 // a mutation began while another was in flight
	taintBit     = 1 << 11 // the last busy period was contended: the page may be torn
	tickShift    = 12
	lowMask      = 1<<tickShift - 1

	// Zero word layout: tick<<tickShift | zeroings in flight (12 bits).
	zeroInflightMask = 1<<tickShift - 1

	maxTick  = 1<<(63-tickShift) - 1 // 2^51 ns: 26 days
	inFlight = math.MaxInt64         // an entry's end while its mutation runs

	// Gen table: gen g lives at index g-1 of a three-level radix table.
	chunkBits = 12
	chunkLen  = 1 << chunkBits
	dirBits   = 12
	dirLen    = 1 << dirBits
	topLen    = 256 // 2^32 mutations per file

	// Entry info: a write is idx+1; a zeroing is zeroKind | first<<31 | count.
	zeroKind = 1 << 62
	rangeMax = 1<<31 - 1

	maxExamples = 20
	maxNamed    = 100 // CheckFinal errors that scan the table to name the final gen
)

// Oracle is the model of every file's mutations. All methods are safe for
// concurrent use.
type Oracle struct {
	base  time.Time
	level Level
	pages uint64
	files []*fileState
	crc   *crc32.Table // Castagnoli, looked up once: MakeTable per Check cost 5 ns

	shared [stripes]counters // counters of Oracle.Check

	mu       sync.Mutex // guards checkers and examples
	checkers []*Checker
	examples []string
	nexample atomic.Int32 // examples taken, so findings past maxExamples skip mu
	nnamed   atomic.Int32 // CheckFinal errors that scanned the table

	retMu   sync.Mutex    // one retirement round at a time; guards pending and each fileState's next
	pending *retireBatch  // scanned, waiting for a grace period
	kick    chan struct{} // a chunk was started: a round may have work (buffered, never blocks)
}

// fileState is one file's mutations.
type fileState struct {
	_   [cacheLine]byte
	gen atomic.Uint64 // the last generation issued; gens start at 1
	_   [cacheLine - 8]byte

	pages     []pageState
	zeros     []atomic.Int64 // zero word per page
	survStart []atomic.Int64 // start tick of the write in the page's slot

	mu   sync.Mutex // guards growth of top and of the dirs, and retirement's drops
	top  [topLen]atomic.Pointer[dir]
	kick chan struct{} // the Oracle's

	// Retirement (retire.go). Gens up to retired have no chunk any more: what
	// is left of them is in surv (each page's newest retired write) or kept
	// (the other retired mutations that are not dead yet).
	retired atomic.Uint64
	hasSurv bool // pages[].surv is used (not with Off)
	// omu guards kept: the retirer changes it holding omu exclusive; its scan
	// and setter (which names mutations in messages) read it holding omu shared.
	omu  sync.RWMutex
	kept map[uint64]kept // written by the retirer only
	next uint64          // the first chunk not yet scanned; guarded by Oracle.retMu
}

// pageState is what a read needs of a page, together: the word Snapshot loads
// and the slot Check reads for a retired gen (on a cached-read workload every
// page's value is soon a retired prefill write), 24 bytes. The zero word and
// the slot's start tick, which reads of stamps do not need, are apart.
type pageState struct {
	floor atomic.Int64 // floor word
	surv  survSlot     // the page's newest retired write (gen and end)
}

// New returns an oracle of files files of pagesPerFile pages each, all holes.
// Pages written before the measurement (a prefill) must go through
// BeginWrite/EndWrite like any write.
func New(files int, pagesPerFile uint64, level Level) *Oracle {
	if files < 0 || pagesPerFile > rangeMax {
		panic(fmt.Sprintf("oracle: %d files of %d pages: at most 2^31-1 pages per file", files, pagesPerFile))
	}
	o := &Oracle{base: time.Now(), level: level, pages: pagesPerFile, files: make([]*fileState, files),
		crc: crc32.MakeTable(crc32.Castagnoli), kick: make(chan struct{}, 1)}
	for i := range o.files {
		f := &fileState{
			pages:   make([]pageState, pagesPerFile),
			zeros:   make([]atomic.Int64, pagesPerFile),
			kick:    o.kick,
			hasSurv: level != Off,
		}
		if f.hasSurv {
			f.survStart = make([]atomic.Int64, pagesPerFile)
		}
		o.files[i] = f
	}
	return o
}

// Level returns the level the oracle was created with.
func (o *Oracle) Level() Level { return o.level }

// Files returns the number of files.
func (o *Oracle) Files() int { return len(o.files) }

// PagesPerFile returns the number of pages of each file.
func (o *Oracle) PagesPerFile() uint64 { return o.pages }

// now is the current tick: monotonic ns since New, plus one, so 0 means never.
func (o *Oracle) now() int64 {
	t := int64(time.Since(o.base)) + 1
	if t > maxTick {
		panic("oracle: ticks exhausted (the oracle lives at most 26 days)")
	}
	return t
}

// BeginWrite records the start of a write of page idx of file (by write(2),
// through a mapping, or a prefill) and returns the generation to Fill the page
// with. Call it before the target operation; call EndWrite (or AbortWrite) after.
func (o *Oracle) BeginWrite(file int, idx uint64) (gen uint64) {
	f := o.files[file]
	floor := beginPage(&f.pages[idx].floor)
	start := max(o.now(), floor+1)
	gen = f.gen.Add(1)
	e := f.slot(gen)
	e.start.Store(start)
	e.end.Store(inFlight)
	e.info.Store(int64(idx) + 1)
	return gen
}

// EndWrite records that the write gen of page idx has completed: from now on a
// read that begins must not see a value older than it.
func (o *Oracle) EndWrite(file int, idx uint64, gen uint64) { o.endWrite(file, idx, gen, true) }

// AbortWrite ends the write gen of page idx when the target operation failed
// (an error, SIGBUS beyond EOF): its value may or may not have landed, so it does
// not raise the page's floor, and the page counts as possibly torn.
func (o *Oracle) AbortWrite(file int, idx uint64, gen uint64) { o.endWrite(file, idx, gen, false) }

// endWrite ends the write gen of page idx; landed says whether it completed
// (and raises the page's floor) or failed (and leaves the page possibly torn).
func (o *Oracle) endWrite(file int, idx uint64, gen uint64, landed bool) {
	f := o.files[file]
	e := f.writeEntry(idx, gen)
	start := e.start.Load()
	e.end.Store(max(o.now(), start))
	endPage(&f.pages[idx].floor, start, landed, !landed)
}

// ZeroToken is a zeroing in flight, from BeginZero to EndZero or AbortZero.
type ZeroToken struct {
	file         int
	gen          uint64
	first, count uint64
	start        int64
}

// Gen returns the zeroing's generation.
func (t ZeroToken) Gen() uint64 { return t.gen }

// BeginZero records the start of a punch, zero-range or truncate making pages
// [first, first+count) of file read as zeros. The range is clipped to the file's
// pages: a truncate to n pages passes (n, math.MaxUint64) so that every page past
// the new end of file reads as zeros when the file grows again.
func (o *Oracle) BeginZero(file int, first, count uint64) ZeroToken {
	f := o.files[file]
	if first > o.pages {
		first = o.pages
	}
	count = min(count, o.pages-first)
	var floor int64
	ps, zs := f.pages[first:first+count], f.zeros[first:first+count]
	for i := range ps {
		floor = max(floor, beginPage(&ps[i].floor))
		if zs[i].Add(1)&zeroInflightMask == 0 {
			panic("oracle: too many zeroings of one page in flight")
		}
	}
	t := ZeroToken{file: file, first: first, count: count, start: max(o.now(), floor+1)}
	t.gen = f.gen.Add(1)
	e := f.slot(t.gen)
	e.start.Store(t.start)
	e.end.Store(inFlight)
	e.info.Store(zeroKind | int64(first)<<31 | int64(count))
	return t
}

// EndZero records that the zeroing has completed.
func (o *Oracle) EndZero(t ZeroToken) { o.endZero(t, true) }

// AbortZero ends a zeroing whose target operation failed: zeros are acceptable
// from then on (it may have landed) but the floor is not raised (it may not).
func (o *Oracle) AbortZero(t ZeroToken) { o.endZero(t, false) }

func (o *Oracle) endZero(t ZeroToken, done bool) {
	f := o.files[t.file]
	end := max(o.now(), t.start)
	f.lookup(t.gen).end.Store(end) // in flight, so never retired
	ps, zs := f.pages[t.first:t.first+t.count], f.zeros[t.first:t.first+t.count]
	for i := range ps {
		for {
			old := zs[i].Load()
			n := old - 1
			if old>>tickShift < end {
				n = end<<tickShift | n&zeroInflightMask
			}
			if zs[i].CompareAndSwap(old, n) {
				break
			}
		}
		endPage(&ps[i].floor, t.start, done, !done)
	}
}

// Snapshot loads the floor words of pages [first, first+len(floors)) of file, one
// atomic load each. Call it before the target operation and pass each word to
// Check as is: it is opaque (a floor tick and in-flight state).
func (o *Oracle) Snapshot(file int, first uint64, floors []int64) {
	ps := o.files[file].pages[first : first+uint64(len(floors))]
	for i := range floors {
		floors[i] = ps[i].floor.Load()
	}
}

// beginPage counts a mutation in flight on a floor word and returns the floor
// tick it saw. A mutation that begins while another is in flight marks the busy
// period contended.
func beginPage(w *atomic.Int64) int64 {
	for {
		old := w.Load()
		if old&inflightMask == inflightMask {
			panic("oracle: too many mutations of one page in flight")
		}
		n := old + 1
		if old&inflightMask == 0 {
			n &^= contendedBit
		} else {
			n |= contendedBit
		}
		if w.CompareAndSwap(old, n) {
			return old >> tickShift
		}
	}
}

// endPage ends a mutation on a floor word: raise the floor to start if raise, mark
// the busy period contended if taint, and when the page goes idle, taint it iff
// the busy period was contended.
func endPage(w *atomic.Int64, start int64, raise, taint bool) {
	for {
		old := w.Load()
		if old&inflightMask == 0 {
			panic("oracle: mutation ended twice or never began")
		}
		n := old - 1
		if raise && start > old>>tickShift {
			n = start<<tickShift | n&lowMask
		}
		if taint {
			n |= contendedBit
		}
		if n&inflightMask == 0 {
			if n&contendedBit != 0 {
				n |= taintBit
			} else {
				n &^= taintBit
			}
		}
		if w.CompareAndSwap(old, n) {
			return
		}
	}
}
