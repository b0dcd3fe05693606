package strategies

import "github.com/rwbench/rwbench/vfs"

// Invalidate is mapping->invalidate_lock, merged in Linux 5.15 ("mm: Protect
// operations adding pages to page cache with invalidate_lock"): taken shared
// where pages are created and read (once per readahead window), never on cache
// hits or when a fault finds its page cached and uptodate.
//
//	site                     lock
//	read entry, read batch   -
//	page creation            invalidate_lock S (create, insert and read)
//	page insert              - (inside creation or readahead)
//	page update              invalidate_lock S
//	readahead batch          invalidate_lock S (once per window: allocate, insert,
//	                           submit; not the I/O, which the locked pages cover)
//	advise                   - (via readahead)
//	fault (whole)            -
//	fault, page missing or
//	  not uptodate           invalidate_lock S
//	page_mkwrite             invalidate_lock S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + invalidate_lock X
func Invalidate() vfs.Strategy {
	return vfs.NewTableStrategy("invalidate", "invalidate_lock", invalidateTable())
}

// invalidateTable is where invalidate takes its lock, and rangelock its range.
func invalidateTable() vfs.Table {
	return withInvalidators(vfs.Table{
		vfs.SitePageCreate:  vfs.S(vfs.LockInval),
		vfs.SitePageUpdate:  vfs.S(vfs.LockInval),
		vfs.SiteReadahead:   vfs.S(vfs.LockInval),
		vfs.SiteFaultCreate: vfs.S(vfs.LockInval),
		vfs.SiteMkwrite:     vfs.S(vfs.LockInval),
	})
}
