// Package ktrace traces the real kernel's lock waits while rwbench runs a
// real-filesystem target, and reports them in the model's terms, so that the
// lock table of an xfs or ext4 cell reads like that of an irwsem or
// invalidate cell.
//
// A Session uses a private tracefs instance (instances/rwbench-<pid>), so the
// host's own tracing is not disturbed, with:
//
//   - lock:contention_begin and lock:contention_end, paired per thread and
//     lock address into waits, and the kernel stack of each contention_begin
//     (the stacktrace trigger);
//   - writeback:balance_dirty_pages, whose pause field (ms) gives the writers'
//     dirty-throttling sleeps (results.Pauses);
//   - record-tgid, so that only the traced process's threads are kept, and
//     the mono clock, which agrees across CPUs.
//
// Each wait is attributed from its stack (attribute.go's rules) to a lock
// class (i_rwsem, invalidate_lock, mmap_lock, or "other"), one of the model's
// sites (vfs.Site: read_entry, write, punch, fault_create, readahead, ...) and
// a mode (READ/WRITE of the flags). Waits no rule names are kept under lock
// "other" with the stack's top two frames as the site, so nothing is dropped.
//
// The kernel traces only acquisitions that wait: the rows have Contended,
// WaitNs and WaitHist (the model's log2 buckets) and no Acquisitions or hold
// times. Timestamps have the clock's printed resolution (1 µs).
//
// Setup and teardown: Start mounts tracefs at a private temporary directory
// when it is not mounted, and removes the instances of rwbench processes that
// are gone (a killed run's); Stop removes the instance and unmounts what Start
// mounted. Where tracefs or a tracepoint is unavailable, Start succeeds and
// Report.Unavailable says why.
//
// testdata/record.sh records the XFS, ext4 and btrfs fixtures of the golden
// tests.
package ktrace
