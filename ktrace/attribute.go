package ktrace

import (
	"strings"

	"github.com/rwbench/rwbench/vfs"
)

// The lock classes in the model's terms (vfs.LockClass's names: a test holds
// them equal). XFS's IOLOCK is the inode's i_rwsem and its MMAPLOCK is
// mapping->invalidate_lock (since Linux 5.15), so real XFS and ext4 rows use
// the same names.
const (
	lockIRwsem = "i_rwsem"
	lockInval  = "invalidate_lock"
	lockMmap   = "mmap_lock"
	// lockOther holds every contention that no rule names: locks the model
	// does not have (XFS's ILOCK, ext4's i_data_sem and extent status tree,
	// the LRU drain mutex) and call paths no rule knows; its site is the
	// stack's top frames.
	lockOther = "other"
	// lockIOOrInval is the class of an acquisition that one function makes
	// of both i_rwsem and invalidate_lock (xfs_ilock(IOLOCK_EXCL|
	// MMAPLOCK_EXCL) and ext4_fallocate in punch and truncate): the stack
	// cannot tell which of the two contended, so the lock's address decides
	// when another contention names it (resolve); otherwise the row keeps
	// this name.
	lockIOOrInval = lockIRwsem + "|" + lockInval
	// lockIOOrBtrfsMmap is btrfs_inode_lock(BTRFS_ILOCK_MMAP) in punch: i_rwsem
	// and then btrfs's own i_mmap_lock (which its page_mkwrite takes shared;
	// the model has no such lock), resolved by address like lockIOOrInval.
	lockIOOrBtrfsMmap = lockIRwsem + "|btrfs_i_mmap_lock"
)

const (
	modeShared    = "shared"
	modeExclusive = "exclusive"
)

// rule names the lock and model site of a contention from its callers (the
// stack above the locking primitives): chain[0] is the first caller, each
// later entry must follow within window frames of the previous one. A name
// ending in "*" matches any name it begins.
type rule struct {
	lock  string
	site  vfs.Site
	chain []string
}

// window is how far up the stack each next frame of a rule's chain may be.
const window = 4

// rules lists what the kernel's functions take, most specific first. The
// comments name the kernel (6.x) source each rule reads.
func rules() []rule {
	r := func(lock string, site vfs.Site, chain ...string) rule { return rule{lock, site, chain} }
	return []rule{
		// XFS: xfs_ilock takes IOLOCK (i_rwsem), MMAPLOCK (invalidate_lock) or
		// ILOCK (XFS's own inode lock: no rule, so "other") by its flags.
		r(lockIRwsem, vfs.SiteReadEntry, "xfs_ilock*", "xfs_file_buffered_read"),
		r(lockIRwsem, vfs.SiteReadEntry, "xfs_ilock*", "xfs_file_dio_read"),
		r(lockIRwsem, vfs.SiteReadEntry, "xfs_ilock*", "xfs_file_read_iter"),
		r(lockIRwsem, vfs.SiteWrite, "xfs_ilock*", "xfs_file_buffered_write"),
		r(lockIRwsem, vfs.SiteWrite, "xfs_ilock*", "xfs_file_dio_write*"),
		r(lockIRwsem, vfs.SiteWrite, "xfs_ilock*", "xfs_file_write_checks"),
		r(lockIRwsem, vfs.SiteAdvise, "xfs_ilock*", "xfs_file_fadvise"),
		r(lockIOOrInval, vfs.SitePunch, "xfs_ilock*", "__xfs_file_fallocate"),
		r(lockIOOrInval, vfs.SitePunch, "xfs_ilock*", "xfs_file_fallocate"),
		r(lockIOOrInval, vfs.SiteTruncate, "xfs_ilock*", "xfs_vn_setattr*"),
		r(lockIOOrInval, vfs.SiteTruncate, "xfs_ilock*", "xfs_setattr_size"),
		r(lockInval, vfs.SiteMkwrite, "xfs_ilock*", "__xfs_write_fault"),
		r(lockInval, vfs.SiteMkwrite, "xfs_ilock*", "xfs_write_fault"),
		r(lockInval, vfs.SiteMkwrite, "xfs_ilock*", "xfs_filemap_page_mkwrite"),
		r(lockInval, vfs.SiteFault, "xfs_ilock*", "xfs_filemap_fault"),
		r(lockInval, vfs.SiteFaultAround, "xfs_ilock*", "xfs_filemap_map_pages"),
		// ext4: inode_lock and filemap_invalidate_lock are inline, so the
		// caller is the ext4 function itself.
		r(lockIRwsem, vfs.SiteWrite, "ext4_buffered_write_iter"),
		r(lockIRwsem, vfs.SiteWrite, "ext4_dio_write_iter"),
		r(lockIRwsem, vfs.SiteWrite, "ext4_file_write_iter"),
		r(lockIRwsem, vfs.SiteReadEntry, "ext4_dio_read_iter"),
		r(lockIOOrInval, vfs.SitePunch, "ext4_fallocate"),
		r(lockIOOrInval, vfs.SitePunch, "ext4_punch_hole"),
		r(lockIOOrInval, vfs.SiteZero, "ext4_zero_range"),
		r(lockIOOrInval, vfs.SiteTruncate, "ext4_setattr"),
		r(lockInval, vfs.SiteMkwrite, "ext4_page_mkwrite"),
		// btrfs: btrfs_inode_lock takes i_rwsem (and with BTRFS_ILOCK_MMAP
		// btrfs's own i_mmap_lock, which the model does not have).
		r(lockIRwsem, vfs.SiteWrite, "btrfs_inode_lock", "btrfs_buffered_write"),
		r(lockIRwsem, vfs.SiteWrite, "btrfs_inode_lock", "btrfs_do_write_iter"),
		r(lockIRwsem, vfs.SiteWrite, "btrfs_inode_lock", "btrfs_direct_write"),
		r(lockIOOrBtrfsMmap, vfs.SitePunch, "btrfs_inode_lock", "btrfs_punch_hole"),
		r(lockIOOrBtrfsMmap, vfs.SitePunch, "btrfs_inode_lock", "btrfs_fallocate"),
		// mm/filemap.c and mm/readahead.c: filemap_invalidate_lock_shared is
		// inline, so the caller is the function that takes it.
		r(lockInval, vfs.SiteFaultCreate, "filemap_fault"),
		r(lockInval, vfs.SiteReadahead, "page_cache_ra_unbounded"),
		r(lockInval, vfs.SiteReadahead, "page_cache_ra_order"),
		r(lockInval, vfs.SitePageCreate, "filemap_create_folio"),
		r(lockInval, vfs.SitePageUpdate, "filemap_update_page"),
		// filemap_create_folio and filemap_update_page inlined into it: the
		// model's read batch site is this function.
		r(lockInval, vfs.SiteReadBatch, "filemap_get_pages"),
		r(lockInval, vfs.SiteMkwrite, "filemap_page_mkwrite"),
		// mm/filemap.c: the generic write path (tmpfs and others) takes
		// inode_lock, inline.
		r(lockIRwsem, vfs.SiteWrite, "generic_file_write_iter"),
		// mm: the fault path's mmap_lock (the per-VMA lock does not sleep on an rwsem).
		r(lockMmap, vfs.SiteFault, "lock_mm_and_find_vma"),
		r(lockMmap, vfs.SiteFault, "do_user_addr_fault"),
	}
}

// frameMatches reports whether the function name f matches p ("x*" matches
// every name beginning with x).
func frameMatches(p, f string) bool {
	if q, ok := strings.CutSuffix(p, "*"); ok {
		return strings.HasPrefix(f, q)
	}
	return p == f
}

// match reports whether callers (innermost first) begin with the rule's chain.
func (r rule) match(callers []string) bool {
	if len(callers) == 0 || !frameMatches(r.chain[0], callers[0]) {
		return false
	}
	at := 0
	for _, p := range r.chain[1:] {
		found := false
		for i := at + 1; i < len(callers) && i <= at+window; i++ {
			if frameMatches(p, callers[i]) {
				at, found = i, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// isTracing reports whether f is a frame of the tracing machinery that
// recorded the stack (above the locking primitive's call of the tracepoint).
func isTracing(f string) bool {
	for _, p := range []string{"trace_", "__trace", "__bpf_trace", "perf_trace", "event_trigger", "ftrace", "stack_trace"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// isPrimitive reports whether f is a function of the locking primitives
// (kernel/locking): the slow paths and the lock calls, not their callers.
func isPrimitive(f string) bool {
	for _, p := range []string{"rwsem_", "down_", "__down_", "__mutex_", "mutex_lock", "queued_", "_raw_",
		"do_raw_", "__percpu_down", "percpu_down", "percpu_rwsem", "rt_mutex", "__rt_mutex", "rtlock", "rwbase_",
		"osq_lock", "mmap_read_lock", "mmap_write_lock"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// attribution is what a contention was in the model's terms.
type attribution struct {
	lock, site, mode string
}

// attribute names the lock class, site and mode of a contention from its
// stack and contention_begin's flags. The mode is READ/WRITE from the flags
// (rwsems and rwlocks set one), else the primitive's name (down_read*,
// *read_lock*), else exclusive (mutexes and spinlocks).
func attribute(frames, flags []string, rs []rule) attribution {
	i := 0
	for i < len(frames) && isTracing(frames[i]) {
		i++
	}
	prims := i
	for i < len(frames) && isPrimitive(frames[i]) {
		i++
	}
	primitives, callers := frames[prims:i], frames[i:]
	a := attribution{mode: modeOf(flags, primitives)}
	if len(frames) == 0 {
		a.lock, a.site = lockOther, "(no stack)"
		return a
	}
	for _, r := range rs {
		if r.match(callers) {
			a.lock, a.site = r.lock, r.site.String()
			return a
		}
	}
	a.lock = lockOther
	top := callers
	if len(top) == 0 {
		top = primitives
	}
	a.site = strings.Join(top[:min(2, len(top))], "<-")
	if a.site == "" {
		a.site = "(no stack)"
	}
	return a
}

func modeOf(flags, primitives []string) string {
	for _, f := range flags {
		switch f {
		case flagRead:
			return modeShared
		case flagWrite:
			return modeExclusive
		}
	}
	for _, p := range primitives {
		if strings.Contains(p, "down_read") || strings.Contains(p, "read_lock") {
			return modeShared
		}
	}
	return modeExclusive
}
