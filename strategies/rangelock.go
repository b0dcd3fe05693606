package strategies

import (
	"time"

	"github.com/rwbench/rwbench/rangelock"
	"github.com/rwbench/rwbench/vfs"
)

// RangeLock is the invalidation lock over page ranges (Jan Kara's 2013 "mapping
// range lock"): it takes what `invalidate` takes, where `invalidate` takes it,
// but only over the pages concerned, so page creation waits only where a punch
// is in progress, and creation elsewhere in the file goes on during a punch.
// Cache hits take nothing; each acquisition costs a mutex and a scan of the
// ranges held in the file.
//
//	site                     lock
//	read entry, read batch   -
//	page creation            range S (the page: create, insert and read)
//	page insert              - (inside creation or readahead)
//	page update              range S (the page)
//	readahead batch          range S (the window, once: allocate, insert, submit)
//	advise                   - (via readahead)
//	fault (whole)            -
//	fault, page missing or
//	  not uptodate           range S (the page)
//	page_mkwrite             range S (the page)
//	write                    i_rwsem X (the model)
//	punch/zero               i_rwsem X (the model) + range X (the range)
//	truncate                 i_rwsem X (the model) + range X (new EOF to the end)
func RangeLock() vfs.Strategy { return rangeLockStrategy{table: invalidateTable()} }

// rangeLockStrategy takes its range where its table says, in the table's mode.
type rangeLockStrategy struct{ table vfs.Table }

// Table returns the strategy's locking table (the lock is the range lock).
func (s rangeLockStrategy) Table() vfs.Table { return s.table }

func (rangeLockStrategy) Name() string               { return "rangelock" }
func (rangeLockStrategy) InvalidateLockName() string { return "invalidate_range" }

// rangeState is a mapping's range lock and the ranges each task holds there.
type rangeState struct {
	lock rangelock.Lock
}

func (rangeLockStrategy) InitMapping(m *vfs.Mapping) { m.Private = &rangeState{} }

// mode says what the strategy takes at a site, and whether it takes anything.
func (s rangeLockStrategy) mode(site vfs.Site) (vfs.Mode, bool) {
	tk := s.table[site]
	return tk.Mode, tk.Lock != vfs.LockNothing
}

func (s rangeLockStrategy) Enter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	mode, ok := s.mode(site)
	if !ok {
		return
	}
	st := m.Private.(*rangeState)
	t.CheckWait(st, vfs.ClassInval, site, mode) // report an inversion before waiting into it
	start := time.Now()
	h, waited := st.lock.Lock(first, last, mode == vfs.Exclusive)
	var wait time.Duration
	if waited {
		wait = time.Since(start)
	}
	t.StrategyLocked(h, site, mode, wait, waited)
	t.PushStrategyState(h)
}

func (s rangeLockStrategy) TryEnter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) bool {
	mode, ok := s.mode(site)
	if !ok {
		return true
	}
	st := m.Private.(*rangeState)
	h, ok := st.lock.TryLock(first, last, mode == vfs.Exclusive)
	if !ok {
		return false
	}
	t.StrategyTrylocked(h, site, mode)
	t.PushStrategyState(h)
	return true
}

func (s rangeLockStrategy) Exit(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	mode, ok := s.mode(site)
	if !ok {
		return
	}
	h := t.PopStrategyState().(rangelock.Range)
	t.StrategyUnlocked(h, site, mode)
	m.Private.(*rangeState).lock.Unlock(h)
}
