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
func LockEntries() vfs.Strategy { return lockEntriesStrategy{} }

type lockEntriesStrategy struct{}

func (lockEntriesStrategy) Name() string               { return "lockentries" }
func (lockEntriesStrategy) InvalidateLockName() string { return "lock_entries" }

func (lockEntriesStrategy) Enter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	switch site {
	case vfs.SitePageInsert:
		m.WaitLockEntries(t, site, first, last)
	case vfs.SitePunch, vfs.SiteTruncate, vfs.SiteZero:
		m.InsertLockEntries(first, last+1)
	}
}

// TryEnter at page insert fails where an entry sits, so readahead holding
// locked pages submits them before it waits (punch waits on those pages).
func (lockEntriesStrategy) TryEnter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) bool {
	return site != vfs.SitePageInsert || !m.HasLockEntry(first, last)
}

func (lockEntriesStrategy) Exit(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	switch site {
	case vfs.SitePunch, vfs.SiteTruncate, vfs.SiteZero:
		m.RemoveLockEntries(first, last+1)
	}
}
