package oracle

import (
	"sync"
	"sync/atomic"
	"time"
)

const (
	// retirePeriod is how often the retiring goroutine looks for full chunks
	// when no new chunk wakes it (it retries chunks held by a mutation in
	// flight).
	retirePeriod = 100 * time.Millisecond
	// maxGraceWait caps the back-off of the wait for a grace period.
	maxGraceWait = 10 * time.Millisecond
)

// Readers tells the oracle when the reads in flight at an instant have ended:
// the grace period after which what a retirement scan found dead may be dropped
// (see Retirement in the package doc). A read is in flight from before its
// Snapshot until its last Check has returned.
type Readers interface {
	// Mark notes the reads in flight now and returns a function that reports
	// whether all of them have ended. The oracle calls both from its retiring
	// goroutine only, Mark after the scan's last load of a floor word.
	Mark() (passed func() bool)
}

// survSlot is a page's newest retired write. The retirer, its only writer,
// stores gen = 0, start (in fileState.survStart), end, then gen; a reader loads
// gen, end, gen again and
// trusts end only if it saw the gen it wants twice. Gens in a slot only grow, so
// an end stored by a later install would have been followed by a second load of
// 0 or of a larger gen. A reader that misses goes on to kept, where a displaced
// write that may still be needed was put before the slot changed.
type survSlot struct {
	gen atomic.Uint64
	end atomic.Int64
}

// kept is a retired mutation that may still be needed, kept apart from the
// table: immutable once retired (a mutation is retired only once complete).
type kept struct {
	start, end, info int64
}

// retireBatch is what a scan found: per file, the chunks [from, to) whose
// survivors are now in the slots and kept maps, and the kept gens found dead.
// Freeing it waits for a grace period.
type retireBatch struct {
	files []fileBatch
}

type fileBatch struct {
	from, to uint64
	drop     []uint64
}

// StartRetiring starts a goroutine that retires the entries of mutations no
// read can need any more, whenever a chunk of the table is started and every
// retirePeriod, waiting for r's grace periods
// before dropping anything. r must cover every goroutine that calls Snapshot
// and Check while retirement runs. stop ends the goroutine and waits for it; it
// may be called more than once. A batch whose grace period has not passed at
// stop stays pending (nothing is dropped) and is finished by a later
// StartRetiring. Without StartRetiring the oracle keeps every entry.
func (o *Oracle) StartRetiring(r Readers) (stop func()) {
	if o.level == Off {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(retirePeriod)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			case <-o.kick:
			}
			if !o.retire(r, quit) {
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}

// retire runs one round: scan (unless a batch is pending from an earlier
// round), wait for a grace period, free. It returns false if quit closed first.
func (o *Oracle) retire(r Readers, quit <-chan struct{}) bool {
	o.retMu.Lock()
	defer o.retMu.Unlock()
	if o.pending == nil {
		o.pending = o.scan()
		if o.pending == nil {
			return true
		}
	}
	// Mark comes after every floor load of the scan (program order; the loads
	// and the runner's inOp loads are sequentially consistent atomics).
	passed := r.Mark()
	for wait := 50 * time.Microsecond; !passed(); wait = min(2*wait, maxGraceWait) {
		t := time.NewTimer(wait)
		select {
		case <-quit:
			t.Stop()
			return false
		case <-t.C:
		}
	}
	o.free(o.pending)
	o.pending = nil
	return true
}

// scan is the first step of a round: it moves the survivors of every full
// chunk whose mutations have all completed (oldest first, stopping at the first
// that has one in flight) to the slots and kept maps, and finds the kept
// mutations that are dead. It returns nil if there is nothing to free. The
// caller holds retMu and frees the batch after a grace period.
func (o *Oracle) scan() *retireBatch {
	b := &retireBatch{files: make([]fileBatch, len(o.files))}
	any := false
	for i, f := range o.files {
		fb := &b.files[i]
		fb.from = f.next
		issued := f.gen.Load()
		for k := f.next; (k+1)*chunkLen <= issued; k++ {
			c := f.chunkAt(k)
			if c == nil || !complete(c) {
				break
			}
			f.moveSurvivors(k, c)
			f.next = k + 1
		}
		fb.to = f.next
		if fb.to == fb.from {
			continue // no mutation retired, so few floors moved: recheck kept later
		}
		any = true
		f.omu.RLock()
		for g, s := range f.kept {
			if f.dead(s) {
				fb.drop = append(fb.drop, g)
			}
		}
		f.omu.RUnlock()
	}
	if !any {
		return nil
	}
	return b
}

// free is the second step of a round, after the grace period: it drops the
// dead kept mutations and the scanned chunks.
func (o *Oracle) free(b *retireBatch) {
	for i, f := range o.files {
		fb := &b.files[i]
		if len(fb.drop) > 0 {
			f.omu.Lock()
			for _, g := range fb.drop {
				delete(f.kept, g)
			}
			f.omu.Unlock()
		}
		if fb.to == fb.from {
			continue
		}
		// A reader that finds a chunk gone must find its gens retired.
		f.retired.Store(fb.to * chunkLen)
		f.mu.Lock()
		for k := fb.from; k < fb.to; k++ {
			f.top[k>>dirBits].Load()[k&(dirLen-1)].Store(nil)
		}
		for d := fb.from >> dirBits; (d+1)<<dirBits <= fb.to; d++ {
			f.top[d].Store(nil)
		}
		f.mu.Unlock()
	}
}

// chunkAt returns chunk k of the table, or nil.
func (f *fileState) chunkAt(k uint64) *chunk {
	if k>>dirBits >= topLen {
		return nil
	}
	d := f.top[k>>dirBits].Load()
	if d == nil {
		return nil
	}
	return d[k&(dirLen-1)].Load()
}

// complete reports whether every mutation of c has begun and ended. Begin
// stores info last and End stores end once, so past this the entries are
// immutable.
func complete(c *chunk) bool {
	for i := range c {
		if c[i].info.Load() == 0 || c[i].end.Load() == inFlight {
			return false
		}
	}
	return true
}

// moveSurvivors puts what chunk k must leave behind before it is freed: the
// newest write of each page goes to the page's slot (whatever its age: the slot
// costs nothing more), and every other mutation that is not dead to kept. A
// slot's previous occupant goes to kept too: unconditionally if its chunk is
// already gone (the next recheck drops it, after a grace period, if dead), if
// not dead when its chunk is in this batch (until the free, the chunk has it).
func (f *fileState) moveSurvivors(k uint64, c *chunk) {
	first := k*chunkLen + 1 // the gen of c[0]
	gone := f.retired.Load()
	for i := range c {
		e := &c[i]
		g := first + uint64(i)
		s := kept{start: e.start.Load(), end: e.end.Load(), info: e.info.Load()}
		if s.info&zeroKind == 0 {
			sl := &f.pages[s.info-1].surv
			if old := sl.gen.Load(); g > old {
				if old != 0 {
					prev := kept{start: f.survStart[s.info-1].Load(), end: sl.end.Load(), info: s.info}
					if old <= gone || !f.dead(prev) {
						f.keep(old, prev)
					}
				}
				sl.gen.Store(0)
				f.survStart[s.info-1].Store(s.start)
				sl.end.Store(s.end)
				sl.gen.Store(g)
				continue
			}
		}
		if !f.dead(s) {
			f.keep(g, s)
		}
	}
}

func (f *fileState) keep(g uint64, s kept) {
	f.omu.Lock()
	if f.kept == nil {
		f.kept = make(map[uint64]kept)
	}
	f.kept[g] = s
	f.omu.Unlock()
}

// dead reports whether no read that snapshots from now on can accept s: the
// floor of every page it mutated has passed its end.
func (f *fileState) dead(s kept) bool {
	if s.info&zeroKind == 0 {
		return f.pages[s.info-1].floor.Load()>>tickShift > s.end
	}
	first, count := uint64(s.info>>31&rangeMax), uint64(s.info&rangeMax)
	ps := f.pages[first : first+count]
	for i := range ps {
		if ps[i].floor.Load()>>tickShift <= s.end {
			return false
		}
	}
	return true
}

// survivor returns the end of gen, a write of page idx that left the table,
// from the page's slot or kept; ok is false when it is not there (retired, or
// never a write of this page).
func (f *fileState) survivor(idx, gen uint64) (end int64, ok bool) {
	if gen == 0 {
		return 0, false
	}
	sl := &f.pages[idx].surv
	if sl.gen.Load() == gen {
		end := sl.end.Load()
		if sl.gen.Load() == gen {
			return end, true
		}
	}
	f.omu.RLock()
	s, ok := f.kept[gen]
	f.omu.RUnlock()
	if !ok || s.info != int64(idx)+1 {
		return 0, false
	}
	return s.end, true
}

// find returns the end of gen if it is a write of page idx the oracle still
// holds, in the table or among the survivors. A retired gen has left the
// table: the page's slot (on the line Snapshot loaded) or kept has it.
func (f *fileState) find(idx, gen uint64) (end int64, ok bool) {
	if !f.isRetired(gen) {
		if e := f.lookup(gen); e != nil && e.info.Load() == int64(idx)+1 {
			return e.end.Load(), true
		}
	}
	if !f.hasSurv {
		return 0, false
	}
	return f.survivor(idx, gen)
}

// isRetired reports whether gen's chunk was dropped: if it is not among the
// survivors, it was dead before any read that snapshots after the drop.
func (f *fileState) isRetired(gen uint64) bool {
	return gen != 0 && gen <= f.retired.Load()
}

// Entries returns how many mutation entries the oracle holds: 4096 per chunk of
// its tables plus the retired mutations kept apart (the per-page words, 40
// bytes a page, are not counted). Without retirement it grows by one per
// mutation; with it, it stays near the chunks one retirePeriod fills plus the
// survivors. For tests and diagnostics: it walks the tables.
func (o *Oracle) Entries() int {
	n := 0
	for _, f := range o.files {
		for i := range f.top {
			d := f.top[i].Load()
			if d == nil {
				continue
			}
			for j := range d {
				if d[j].Load() != nil {
					n += chunkLen
				}
			}
		}
		f.omu.RLock()
		n += len(f.kept)
		f.omu.RUnlock()
	}
	return n
}
