package strategies

import "github.com/rwbench/rwbench/vfs"

// IRwsem is XFS before Linux 5.15: buffered reads and fadvise take i_rwsem
// shared for the whole read, copy-out included, so every read serializes with
// every write (which holds i_rwsem exclusive). Faults, which cannot take
// i_rwsem, take XFS's MMAPLOCK, and so does fault-around: from 5.1 to 6.3
// xfs_filemap_map_pages took MMAPLOCK shared around filemap_map_pages.
//
//	site                     lock
//	read entry               i_rwsem S (whole read, copy-out included)
//	read batch               - (inside read entry)
//	page creation / insert   - (inside read entry)
//	page update              - (inside read entry)
//	readahead batch          - (under read entry, advise or fault)
//	advise                   i_rwsem S (while it submits: force_page_cache_ra
//	                           does not wait for the I/O)
//	fault (whole)            MMAPLOCK S
//	fault-around             MMAPLOCK S
//	page_mkwrite             MMAPLOCK S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + MMAPLOCK X
func IRwsem() vfs.Strategy {
	return vfs.NewTableStrategy("irwsem", "MMAPLOCK", withInvalidators(vfs.Table{
		vfs.SiteReadEntry:   vfs.S(vfs.LockIRwsem),
		vfs.SiteAdvise:      vfs.S(vfs.LockIRwsem),
		vfs.SiteFault:       vfs.S(vfs.LockInval),
		vfs.SiteFaultAround: vfs.S(vfs.LockInval),
		vfs.SiteMkwrite:     vfs.S(vfs.LockInval),
	}))
}
