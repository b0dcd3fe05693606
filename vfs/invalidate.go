package vfs

import (
	"fmt"
	"time"
)

// Punch is fallocate(PUNCH_HOLE|KEEP_SIZE): the pages of the range become a hole.
func (t *Task) Punch(file int, off, length int64) error {
	t.opStart()
	defer t.opDone()
	return t.invalidateOp(file, off, length, SitePunch)
}

// ZeroRange is fallocate(ZERO_RANGE|KEEP_SIZE): the range reads as zeros; its
// blocks stay allocated as unwritten extents.
func (t *Task) ZeroRange(file int, off, length int64) error {
	t.opStart()
	defer t.opDone()
	return t.invalidateOp(file, off, length, SiteZero)
}

// Truncate is ftruncate: it sets i_size; shrinking drops the pages and frees
// the blocks past the new size.
func (t *Task) Truncate(file int, size int64) error {
	t.opStart()
	defer t.opDone()
	ino, err := t.fs.inode(file)
	if err != nil {
		return err
	}
	if size < 0 || size%PageSize != 0 {
		return fmt.Errorf("file %d size %d: %w", file, size, ErrAlign)
	}
	if uint64(size/PageSize) > ino.maxPages {
		return fmt.Errorf("file %d size %d: %w", file, size, ErrTooLarge)
	}
	first := uint64(size / PageSize)
	ino.rwsem.lock(t, SiteTruncate, Exclusive)
	defer ino.rwsem.unlock(t, SiteTruncate, Exclusive)
	m, s := &ino.Mapping, t.fs.strategy
	// Pages first..maxPages-1, inclusive like every site's range (empty when
	// the new size is the maximum).
	s.Enter(t, m, SiteTruncate, first, ino.maxPages-1)
	defer s.Exit(t, m, SiteTruncate, first, ino.maxPages-1)
	old := ino.size.Swap(size) // truncate_setsize: i_size first, so faults see it
	if size >= old {
		return nil
	}
	return t.invalidate(ino, first, ino.maxPages, SiteTruncate, false)
}

// invalidateOp is the punch and zero-range path: i_rwsem exclusive, then the
// strategy's lock at the site, around invalidate.
func (t *Task) invalidateOp(file int, off, length int64, site Site) error {
	ino, first, end, err := t.pageRange(file, off, length)
	if err != nil || first == end {
		return err
	}
	ino.rwsem.lock(t, site, Exclusive)
	defer ino.rwsem.unlock(t, site, Exclusive)
	m, s := &ino.Mapping, t.fs.strategy
	s.Enter(t, m, site, first, end-1)
	defer s.Exit(t, m, site, first, end-1)
	return t.invalidate(ino, first, end, site, site == SiteZero)
}

// invalidate does the two steps of docs/design.md section 1 for [first, end): drop
// the page-cache pages (after writing back and waiting, and unmapping them from
// every process), then change the block map. Between the two steps, whatever
// the strategy does not exclude can create a page that maps the old block: the
// race window, which Options.RaceWindow widens.
func (t *Task) invalidate(ino *Inode, first, end uint64, site Site, keepBlocks bool) error {
	if err := t.writebackRange(ino, first, end, true); err != nil {
		return err
	}
	t.truncatePages(ino, first, end, site)
	if w := t.fs.opts.RaceWindow; w > 0 {
		time.Sleep(w)
	}
	var freed []uint64
	ino.bmapLock.Lock()
	for i := first; i < end; i++ {
		b := ino.bmap[i]
		switch {
		case b == 0:
		case keepBlocks:
			ino.bmap[i] = b | unwrittenBit
		default:
			ino.bmap[i] = 0
			freed = append(freed, b&^unwrittenBit)
		}
	}
	ino.bmapLock.Unlock()
	for _, b := range freed {
		if err := t.fs.alloc.Free(b); err != nil {
			return fmt.Errorf("file %d: freeing block %d: %w", ino.ino, b, err)
		}
	}
	return nil
}

// truncatePages is truncate_pagecache_range: unmap the range from every
// process, then remove each page, waiting for its lock and its writeback.
func (t *Task) truncatePages(ino *Inode, first, end uint64, site Site) {
	m, c := &ino.Mapping, &t.fs.cache
	t.unmapRange(m, first, end)
	for i := first; i < end; i++ {
		p := m.lookup(i)
		if p == nil {
			continue
		}
		t.lockPage(p, site)
		if p.mapping == m {
			c.waitWriteback(p)
			if p.mapcount.Load() > 0 {
				t.unmapPage(m, p)
			}
			c.remove(p)
			t.retire(p.data.Load())
		}
		t.unlockPage(p, site)
	}
}
