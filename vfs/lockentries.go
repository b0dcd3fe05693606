package vfs

import (
	"sync"
	"sync/atomic"
	"time"
)

// lockEntries are lock entries in the page index (Matthew Wilcox's idea, after
// the locked entries DAX keeps in i_pages): an invalidation puts an entry in
// every slot of its range, empty or emptied by truncation, so no page can be
// inserted there until it takes them out. Lookups treat an entry as no page.
// Invalidations of one file are serialized by i_rwsem, so a mapping has at most
// one locked range at a time.
type lockEntries struct {
	first, end atomic.Uint64 // the locked range [first, end); end 0 when none
	mu         sync.Mutex    // guards the changes of first and end and the waits on cond
	cond       sync.Cond     // broadcast when the locked range is taken out
}

// vacant is what a slot at idx holds once its page is removed: a lock entry
// inside the locked range, else nothing.
func (e *lockEntries) vacant(idx uint64) *Page {
	if end := e.end.Load(); end != 0 && idx < end && idx >= e.first.Load() {
		return lockEntry
	}
	return nil
}

// InsertLockEntries locks [first, end): the empty slots get lock entries now,
// the others when their pages are removed.
func (m *Mapping) InsertLockEntries(first, end uint64) {
	end = min(end, uint64(len(m.slots)))
	if first >= end {
		return
	}
	m.entries.first.Store(first)
	m.entries.end.Store(end)
	for i := first; i < end; i++ {
		m.slots[i].page.CompareAndSwap(nil, lockEntry)
	}
}

// RemoveLockEntries unlocks [first, end) and wakes the waiters. The caller has
// truncated the range, so no page there can be removed (and turned into an
// entry) concurrently.
func (m *Mapping) RemoveLockEntries(first, end uint64) {
	end = min(end, uint64(len(m.slots)))
	m.entries.end.Store(0)
	for i := first; i < end; i++ {
		m.slots[i].page.CompareAndSwap(lockEntry, nil)
	}
	m.entries.mu.Lock()
	if m.entries.cond.L != nil {
		m.entries.cond.Broadcast()
	}
	m.entries.mu.Unlock()
}

// HasLockEntry reports whether any slot of [first, last] holds a lock entry.
func (m *Mapping) HasLockEntry(first, last uint64) bool {
	for i := first; i <= last && i < uint64(len(m.slots)); i++ {
		if m.slots[i].page.Load() == lockEntry {
			return true
		}
	}
	return false
}

// WaitLockEntries waits until [first, last] holds no lock entry, accounting the
// wait to the invalidation lock at site. It reports whether it waited.
func (m *Mapping) WaitLockEntries(t *Task, site Site, first, last uint64) bool {
	t.CheckWait(&m.entries, ClassInval, site, Shared) // the order, as if it waited
	if !m.HasLockEntry(first, last) {
		return false
	}
	start := time.Now()
	t.locks[ClassInval][site][Shared].contended.Add(1)
	m.entries.mu.Lock()
	if m.entries.cond.L == nil {
		m.entries.cond.L = &m.entries.mu
	}
	for m.HasLockEntry(first, last) {
		m.entries.cond.Wait()
	}
	m.entries.mu.Unlock()
	lc := &t.locks[ClassInval][site][Shared]
	lc.acquisitions.Add(1)
	d := time.Since(start)
	lc.waitNs.Add(int64(d))
	if t.hist != nil {
		t.hist[ClassInval][site][Shared].wait[histBucket(d)].Add(1)
	}
	return true
}

// StrategyLocked records that a strategy's own lock l (a range lock, say) was
// taken at site, counted and ordered as the invalidation lock.
func (t *Task) StrategyLocked(l any, site Site, m Mode, wait time.Duration, waited bool) {
	if waited {
		t.locks[ClassInval][site][m].contended.Add(1)
	}
	t.acquired(l, ClassInval, site, m, wait)
}

// StrategyTrylocked records a strategy's own lock taken without waiting; like
// every trylock it adds nothing to the lock order.
func (t *Task) StrategyTrylocked(l any, site Site, m Mode) {
	t.record(l, ClassInval, site, m, 0, false)
}

// StrategyUnlocked records the release of a strategy's own lock.
func (t *Task) StrategyUnlocked(l any, site Site, m Mode) {
	t.released(l, ClassInval, site, m)
}

// Slots is the number of page slots of the mapping (the file's maximum pages).
func (m *Mapping) Slots() uint64 { return uint64(len(m.slots)) }

// PushStrategyState and PopStrategyState keep a strategy's per-acquisition state
// (a held range) on the task between Enter and Exit, which nest.
func (t *Task) PushStrategyState(v any) { t.strategyState = append(t.strategyState, v) }

// PopStrategyState returns the state of the innermost Enter.
func (t *Task) PopStrategyState() any {
	n := len(t.strategyState) - 1
	v := t.strategyState[n]
	t.strategyState[n] = nil
	t.strategyState = t.strategyState[:n]
	return v
}
