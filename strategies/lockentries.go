package strategies

import "github.com/rwbench/rwbench/vfs"

// LockEntries is Matthew Wilcox's idea in "Re: [PATCH v2] mm: Remove
// ->readpages" (2020): punch puts lock entries into the page index over its
// range, as DAX does with its locked entries, and page creation that meets one
// waits until punch takes them out. Lookups of cached pages and creation outside
// the range never wait, and no lock is taken anywhere else: the page index is
// the lock.
//
//	site                     lock
//	read entry, read batch   -
//	page creation            - (the insert inside it)
//	page insert              waits while a lock entry is in the slot
//	page update, readahead   - (readahead skips slots holding entries)
//	advise, fault            - (via page insert)
//	page_mkwrite             - (a truncated page makes the fault retry and insert)
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + lock entries over the range
func LockEntries() vfs.Strategy {
	return lockEntriesStrategy{table: withInvalidators(vfs.Table{
		vfs.SitePageInsert: vfs.S(vfs.LockInval),
	})}
}

// lockEntriesStrategy reads its table this way: shared is "wait while a lock
// entry is in the slots", exclusive "put lock entries into the slots".
type lockEntriesStrategy struct{ table vfs.Table }

// Table returns the strategy's locking table (the lock is the entries).
func (s lockEntriesStrategy) Table() vfs.Table { return s.table }

func (lockEntriesStrategy) Name() string               { return "lockentries" }
func (lockEntriesStrategy) InvalidateLockName() string { return "lock_entries" }

func (s lockEntriesStrategy) Enter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	switch tk := s.table[site]; {
	case tk.Lock == vfs.LockNothing:
	case tk.Mode == vfs.Shared:
		m.WaitLockEntries(t, site, first, last)
	default:
		m.InsertLockEntries(first, last+1)
	}
}

// TryEnter where it would wait fails if an entry sits there, so readahead
// holding locked pages submits them before it waits (punch waits on those
// pages).
func (s lockEntriesStrategy) TryEnter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) bool {
	tk := s.table[site]
	return tk.Lock == vfs.LockNothing || tk.Mode != vfs.Shared || !m.HasLockEntry(first, last)
}

func (s lockEntriesStrategy) Exit(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	if tk := s.table[site]; tk.Lock != vfs.LockNothing && tk.Mode == vfs.Exclusive {
		m.RemoveLockEntries(first, last+1)
	}
}
