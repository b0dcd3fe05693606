package strategies

import "github.com/rwbench/rwbench/vfs"

// Naive is the first fix tried for ext4 (2019, before the RFC of 2021): take
// i_mmap_sem, which the fault path already takes, shared around the whole
// buffered read, as XFS takes i_rwsem. Every path that creates pages then runs
// under the lock, so no stale data; but the read holds it across the copy to
// the user buffer, and when that buffer is itself a file mapping the copy
// faults, and the fault takes mmap_lock (which ranks above i_mmap_sem) and then
// i_mmap_sem again. That is the inversion Jan Kara describes in the seeds; with
// a punch queued for the lock between the two shared acquisitions of one file's
// lock, it deadlocks (a reader queues behind a waiting writer). With an ordinary buffer
// it works, which is why it looks right. Not a safe strategy: it is here for
// the lock validator to catch, and for the watchdog.
//
//	site                     lock
//	read entry               i_mmap_sem S (whole read, copy-out included)
//	read batch, creation,
//	  update, readahead      - (inside read entry, advise or fault)
//	advise                   i_mmap_sem S (while it submits)
//	fault (whole)            i_mmap_sem S (again, if the fault is a copy-out's)
//	page_mkwrite             i_mmap_sem S
//	write                    i_rwsem X (the model)
//	punch/truncate/zero      i_rwsem X (the model) + i_mmap_sem X
func Naive() vfs.Strategy {
	return vfs.NewTableStrategy("naive", "i_mmap_sem", withInvalidators(vfs.Table{
		vfs.SiteReadEntry: vfs.S(vfs.LockInval),
		vfs.SiteAdvise:    vfs.S(vfs.LockInval),
		vfs.SiteFault:     vfs.S(vfs.LockInval),
		vfs.SiteMkwrite:   vfs.S(vfs.LockInval),
	}))
}
