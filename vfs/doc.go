// Package vfs is rwbench's user-space model of the Linux page cache and of a
// filesystem's block map, over a real backing store (blockdev.Store). It has the
// whole path set: buffered read with batch lookup, page creation, page update and
// synchronous and asynchronous readahead; buffered write; a simulated mmap with
// per-process mm, page tables, the fault path with fault-around, and page_mkwrite;
// fadvise(WILLNEED); punch hole, truncate and zero range; writeback (a flusher,
// IO-less dirty throttling of writers, and sync) and reclaim.
//
// I/O goes through the store's request queue (blockdev.Queue), as in the
// kernel: reads that a task waits for are issued and waited for; readahead and
// fadvise submit and return, their pages locked until the reads complete (a
// reader waits on the page lock); the flusher submits merged runs and keeps
// many in flight; writers never write back, they pause (throttle.go).
//
// The serialization of page-cache filling against hole punching is not decided
// here: at each hook point (docs/design.md section 4, the Site constants) the model
// calls its Strategy, which takes whatever lock it takes there. The model never
// branches on the strategy.
//
// # Lock order
//
// This is the one place the order is written; with Options.Validate (always in
// tests) the lock validator (lockdep.go) checks every blocking acquisition
// against it, reports recursive acquisitions of a class, and keeps the graph of
// the class orders actually taken, reporting any cycle with the stacks of its
// edges:
//
//	i_rwsem            (Inode.rwsem)         rank 1
//	  mmap_lock        (MM.mmapLock)         rank 2
//	    invalidation   (Mapping.inval: i_mmap_sem, MMAPLOCK, invalidate_lock ...) rank 3
//	      page lock    (Page.lock)           rank 4, several nest in index order (trylock past the first)
//	        i_mmap_rwsem (Mapping.immap)     rank 5
//	          ptl      (MM.ptl)              rank 6
//
// Below the instrumented locks and never held across another model lock:
// Inode.bmapLock (the block map, like ext4's i_data_sem), the allocator's mutex,
// the LRU lock and the writeback wait lock: nothing is taken under them, so no
// cycle can pass through them. The page index (Mapping.slots, the kernel's
// i_pages) needs no lock, so the validator has no class for it: slots change by
// compare-and-swap and lookups are lock-free, like the RCU lookups of the
// xarray. (The lockentries strategy makes the index itself the invalidation
// lock; its waits are validated as that class.)
//
// ReadToMapping is read(2) into a user buffer that is a mapping of a file: its
// copy-out faults under what the strategy holds at SiteReadEntry, which is how
// the naive strategy's inversion shows.
//
// Two rules follow from the order and are the crux of the problem rwbench
// measures: the fault path runs under mmap_lock, so it can never take i_rwsem;
// and a lock held across the copy to the user buffer (which can fault) cannot be
// taken in the fault path. A lock taken after the page is locked ranks below the
// page lock, too low for punch, which must hold it while it waits on page locks.
//
// # Page data
//
// A page's bytes are immutable once published: a write or a store through a
// mapping swaps in a new buffer (Page.data is an atomic pointer). Readers copy
// from whatever buffer they loaded without locking the page, as filemap_read does,
// and writeback writes a buffer nobody changes under it (one published over a
// page under writeback is retired when its write completes). Buffers are never
// recycled while reachable, so a reader that raced with truncation copies the old
// contents, never another file's.
//
// A slot of the index keeps, next to its page, the page's data while the page
// is a plain hit (see slot): a cached read then touches the slot and the data,
// not the Page. That is the model's shortcut (the kernel reads the folio), kept
// coherent by the page lock and checked by Quiesce.
package vfs
