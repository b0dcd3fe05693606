package strategies

import "github.com/rwbench/rwbench/vfs"

// PerPage is the aops hook around add_to_page_cache that Jan Kara's 2021 RFC
// offered as the alternative: the lock is held shared only while a page is
// inserted; the locked page in the cache then keeps punch (which waits on page
// locks before it changes the block map) away from the block lookup and read.
// One acquisition per page created, none on cache hits.
//
//	site                     lock
//	read entry, read batch   -
//	page creation            - (the insert inside it)
//	page insert              i_mmap_sem S (each page, read, readahead and fault alike)
//	page update              i_mmap_sem S
//	readahead batch          - (per page inserted)
//	advise                   - (per page, via readahead)
//	fault (whole)            - (per page, via creation)
//	page_mkwrite             i_mmap_sem S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + i_mmap_sem X
func PerPage() vfs.Strategy {
	return vfs.NewTableStrategy("perpage", "i_mmap_sem", withInvalidators(vfs.Table{
		vfs.SitePageInsert: vfs.S(vfs.LockInval),
		vfs.SitePageUpdate: vfs.S(vfs.LockInval),
		vfs.SiteMkwrite:    vfs.S(vfs.LockInval),
	}))
}
