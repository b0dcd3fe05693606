package strategies

import "github.com/rwbench/rwbench/vfs"

// None is ext4 from 2015 (Jan Kara's "ext4: Punch hole and DAX fixes") until
// Linux 5.15: faults are serialized against punch by i_mmap_sem, but read(2),
// readahead and fadvise/madvise create pages with no lock at all. It shows the
// race: stale or foreign data through those paths, never through faults.
//
//	site                     lock
//	read entry               -
//	read batch               -
//	page creation / insert   -
//	page update              -
//	readahead batch          -
//	advise                   -
//	fault (whole)            i_mmap_sem S
//	page_mkwrite             i_mmap_sem S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + i_mmap_sem X
func None() vfs.Strategy {
	return vfs.NewTableStrategy("none", "i_mmap_sem", withInvalidators(vfs.Table{
		vfs.SiteFault:   vfs.S(vfs.LockInval),
		vfs.SiteMkwrite: vfs.S(vfs.LockInval),
	}))
}
