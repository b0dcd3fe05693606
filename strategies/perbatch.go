package strategies

import "github.com/rwbench/rwbench/vfs"

// PerBatch is the v1 RFC of January 2021 ("fs: Hole punch vs page cache filling
// races"): a hook around generic_file_buffered_read_get_pages takes ext4's
// i_mmap_sem shared around each read batch (lookup, creation, readahead, but not
// the copy-out), so it pays a lock on every read, cache hits included, and on
// every fault.
//
//	site                     lock
//	read entry               -
//	read batch               i_mmap_sem S (the whole batch, hits included)
//	page creation / insert   - (inside the batch)
//	page update              - (inside the batch)
//	readahead batch          - (inside the batch, fault or advise lock)
//	advise                   i_mmap_sem S (while it submits)
//	fault (whole)            i_mmap_sem S
//	page_mkwrite             i_mmap_sem S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + i_mmap_sem X
func PerBatch() vfs.Strategy {
	return vfs.NewTableStrategy("perbatch", "i_mmap_sem", withInvalidators(vfs.Table{
		vfs.SiteReadBatch: vfs.S(vfs.LockInval),
		vfs.SiteAdvise:    vfs.S(vfs.LockInval),
		vfs.SiteFault:     vfs.S(vfs.LockInval),
		vfs.SiteMkwrite:   vfs.S(vfs.LockInval),
	}))
}
