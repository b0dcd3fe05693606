package vfs

import (
	"fmt"
	"time"

	"github.com/rwbench/rwbench/blockdev"
)

// Write is write(2): a buffered write of whole pages at a page-aligned offset,
// under i_rwsem exclusive in every strategy. It allocates blocks for holes and
// extends i_size, then throttles if too much of the cache is dirty.
func (t *Task) Write(file int, off int64, data []byte) (int, error) {
	t.opStart()
	defer t.opDone()
	ino, first, end, err := t.pageRange(file, off, int64(len(data)))
	if err != nil {
		return 0, err
	}
	if int64(end-first)*PageSize != int64(len(data)) {
		return 0, fmt.Errorf("file %d offset %d length %d: %w", file, off, len(data), ErrTooLarge)
	}
	if len(data) == 0 {
		return 0, nil // write(2) of nothing has no effect, on i_size neither
	}
	ino.rwsem.lock(t, SiteWrite, Exclusive)
	defer ino.rwsem.unlock(t, SiteWrite, Exclusive)
	done := 0
	for i := first; i < end; i++ {
		if err := t.writePage(ino, i, data[done:done+PageSize]); err != nil {
			return done, err
		}
		done += PageSize
		t.quiescent() // a long write holds no buffer between pages: let grace periods pass
	}
	if e := int64(end) * PageSize; e > ino.size.Load() {
		ino.size.Store(e)
	}
	t.schedPoint()
	return done, t.balanceDirty()
}

// writePage copies one page of user data into the page cache (write_begin,
// copy, write_end): find or create the page, lock it, give it a block, publish a
// new buffer, mark it dirty. A page that already caches a block number writes
// there without asking the block map, as a mapped buffer head does.
func (t *Task) writePage(ino *Inode, idx uint64, src []byte) error {
	m := &ino.Mapping
	var p *Page
	for p == nil {
		if p = m.lookup(idx); p != nil {
			t.lockPage(p, SiteWrite)
			if p.mapping != m {
				t.unlockPage(p, SiteWrite)
				p = nil
			}
			continue
		}
		// The strategy's insertion hook runs here as on the read side.
		p = t.addPage(m, idx, SiteWrite)
	}
	defer t.unlockPage(p, SiteWrite)
	if p.block == 0 {
		blk, err := t.fs.blockForWrite(ino, idx)
		if err != nil {
			return err
		}
		p.block = blk
	}
	buf := t.pageBuffer()
	copy(buf[:], src)
	t.publish(p, buf)
	p.set(pgUptodate)
	if t.fs.cache.markDirty(p) {
		t.throttle.nrDirtied++
	}
	markAccessed(p)
	return nil
}

// blockForWrite returns the block backing page idx, allocating one for a hole
// and converting an unwritten extent to written. An overwrite of a written
// block only looks the block up, sharing the block map with readers, as
// ext4_map_blocks (i_data_sem shared) and XFS's buffered write (ILOCK shared
// for a written extent) do; only an allocation or a conversion takes it
// exclusive. A new block is aimed at the page's place in the file's extent,
// so that the file lies contiguous on the store however it is written.
func (fs *FS) blockForWrite(ino *Inode, idx uint64) (uint64, error) {
	ino.bmapLock.RLock()
	b := ino.bmap[idx]
	ino.bmapLock.RUnlock()
	if b != 0 && b&unwrittenBit == 0 {
		return b, nil
	}
	ino.bmapLock.Lock()
	defer ino.bmapLock.Unlock()
	b = ino.bmap[idx]
	if b&unwrittenBit != 0 {
		b &^= unwrittenBit
		ino.bmap[idx] = b
	}
	if b != 0 {
		return b, nil
	}
	b, err := fs.alloc.Alloc(ino.extent + idx)
	if err != nil {
		return 0, fmt.Errorf("file %d page %d: %w", ino.ino, idx, err)
	}
	ino.bmap[idx] = b
	return b, nil
}

// wbPage is a page prepared for writeback: cleaned, under writeback, with the
// buffer and block to write.
type wbPage struct {
	p    *Page
	data *[PageSize]byte
	blk  uint64
}

// prepareWriteback is the first half of ->writepage: with wait it waits for the
// page lock and for writeback already in flight (WB_SYNC_ALL); without, it
// skips busy pages. Before the page is cleaned its mappings are write-protected
// (page_mkclean), so a later store through a mapping faults and redirties it.
func (t *Task) prepareWriteback(p *Page, wait bool) (wbPage, bool, error) {
	c := &t.fs.cache
	for {
		if wait {
			t.lockPage(p, SiteWriteback)
		} else if !t.trylockPage(p, SiteWriteback) {
			return wbPage{}, false, nil
		}
		if !p.has(pgWriteback) {
			break
		}
		t.unlockPage(p, SiteWriteback)
		if !wait {
			return wbPage{}, false, nil
		}
		c.waitWriteback(p)
	}
	defer t.unlockPage(p, SiteWriteback)
	m := p.mapping
	if m == nil || !p.dirty() {
		return wbPage{}, false, nil
	}
	if p.mapcount.Load() > 0 {
		t.mkclean(m, p)
	}
	if p.block == 0 {
		blk, err := t.fs.blockForWrite(m.host, p.index)
		if err != nil {
			return wbPage{}, false, err
		}
		p.block = blk
	}
	p.set(pgWriteback)
	c.nrWriteback.Add(1)
	t.wroteBack++
	p.clear(pgDirty)
	m.nrDirty.Add(-1)
	c.nrDirty.Add(-1)
	return wbPage{p: p, data: p.data.Load(), blk: p.block}, true, nil
}

// maxWriteback is the most pages one vectored write carries.
const maxWriteback = 256

// submitWriteback submits the write of prepared pages whose blocks are
// consecutive as one vectored I/O, as a merged bio, and returns; the I/O's
// completion ends their writeback, counts them written (the bandwidth estimate
// of dirty throttling) and records an error in the mapping for the next wait
// to report (mapping_set_error).
func (t *Task) submitWriteback(plug *blockdev.Plug, ino *Inode, run []wbPage) {
	if len(run) == 0 {
		return
	}
	run = append([]wbPage(nil), run...) // the caller reuses its run
	iov := make([][]byte, len(run))
	for i, w := range run {
		iov[i] = w.data[:]
	}
	fs := t.fs
	plug.Submit(true, run[0].blk, iov, func(err error) {
		if err != nil {
			ino.Mapping.setError(fmt.Errorf("writeback of file %d page %d to block %d: %w", ino.ino, run[0].p.index, run[0].blk, err))
		} else {
			fs.dirty.written.Add(int64(len(run)))
		}
		for _, w := range run {
			if err != nil {
				// The write I/O failed: the block still holds older data, so the page
				// must not be clean, or reclaim would drop the only good copy and the
				// next read would get the old block (the kernel instead records the
				// error, mapping_set_error's AS_EIO, and loses the data). It stays
				// dirty and the next writeback retries it. Its writeback flag is still
				// set, so truncation, which waits for that flag before removing the
				// page, cannot have taken it out of its mapping.
				fs.cache.markDirty(w.p)
			}
			fs.cache.endWriteback(w.p)
		}
		// The last write in flight measures the bandwidth, as the kernel's
		// wb_inode_writeback_end does, so that a burst's end is counted.
		if fs.cache.nrWriteback.Load() == 0 {
			fs.dirty.updateBandwidth(time.Now())
		}
	})
}

// writebackFailing reports whether a file has a writeback error no wait has
// taken yet: its pages stay dirty to be retried (see submitWriteback), so
// another pass now would write them again at once, and again.
func (fs *FS) writebackFailing() bool {
	for _, ino := range fs.inodes {
		if ino.Mapping.wbErr.Load() != nil {
			return true
		}
	}
	return false
}

// setError records the first writeback error since the last wait took it.
func (m *Mapping) setError(err error) { m.wbErr.CompareAndSwap(nil, &err) }

// takeError returns and clears the recorded writeback error.
func (m *Mapping) takeError() error {
	if e := m.wbErr.Swap(nil); e != nil {
		return *e
	}
	return nil
}

// writebackRange is ->writepages over [first, end): it submits the writes of
// the dirty pages, merging runs of consecutive blocks, without waiting for
// them; with wait it then waits for them and for writeback already in flight,
// and reports the mapping's writeback error (filemap_write_and_wait_range).
// The writes are plugged, as writeback plugs them, and issued before the task
// sleeps.
func (t *Task) writebackRange(ino *Inode, first, end uint64, wait bool) error {
	m := &ino.Mapping
	var run []wbPage
	plug := t.fs.queue.Plug()
	defer plug.Finish()
	flush := func() {
		if len(run) == 0 {
			return
		}
		t.submitWriteback(&plug, ino, run)
		run = run[:0]
		// The run is submitted: the task uses nothing it loaded before, and the
		// I/O's buffers are kept from reuse until it completes (see publish).
		t.quiescent()
	}
	for i := first; i < end; i++ {
		if !wait && m.nrDirty.Load() == 0 && len(run) == 0 {
			return nil
		}
		p := m.lookup(i)
		if p == nil || !p.dirty() {
			flush()
			if p != nil && wait && p.has(pgWriteback) {
				plug.Finish()
				t.fs.cache.waitWriteback(p)
			}
			continue
		}
		// Never sleep on a page lock while holding prepared, unsubmitted pages:
		// the lock holder may be waiting for their writeback.
		w, ok, err := t.prepareWriteback(p, false)
		if err == nil && !ok && wait && p.dirty() {
			flush()
			plug.Finish()
			w, ok, err = t.prepareWriteback(p, true)
		}
		if err != nil {
			flush()
			return err
		}
		if !ok {
			continue
		}
		if len(run) > 0 && (run[len(run)-1].blk+1 != w.blk || len(run) == maxWriteback) {
			flush()
		}
		run = append(run, w)
	}
	flush()
	plug.Finish()
	// do_writepages measures the bandwidth (at most once per interval): a
	// throttled writer updates it too, with the rate limit, and whichever
	// comes first in an interval does it. Were it measured at every write's
	// completion, the writers would never get an interval and the rate limit
	// would stay at its start.
	t.fs.dirty.updateBandwidth(time.Now())
	if wait {
		for i := first; i < end; i++ {
			if p := m.lookup(i); p != nil {
				t.fs.cache.waitWriteback(p)
			}
		}
		return m.takeError()
	}
	return nil
}

// flusher is the per-filesystem writeback thread: it wakes every interval, or
// when a writer passes the background threshold, and writes back dirty pages,
// pass after pass while more than the background threshold are dirty, a pass
// finds pages to write and none failed (wb_writeback's background work), then
// sleeps.
func (fs *FS) flusher() {
	defer close(fs.flusherDone)
	t := fs.NewTask()
	defer t.Close()
	tick := time.NewTicker(fs.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-fs.flusherStop:
			return
		case <-tick.C:
		case <-fs.kick:
		}
		t.opStart()
		bg := fs.opts.DirtyBackgroundBytes / PageSize
		for {
			before := t.wroteBack
			for _, ino := range fs.inodes {
				if ino.Mapping.nrDirty.Load() > 0 {
					_ = t.writebackRange(ino, 0, ino.maxPages, false) // the next wait reports it
				}
			}
			if t.wroteBack == before || fs.cache.nrDirty.Load() <= bg || fs.writebackFailing() {
				break
			}
			select {
			case <-fs.flusherStop:
				return
			default:
			}
		}
		t.offline() // asleep until the next tick: grace periods need not wait
	}
}

// Sync is fsync of a file: write back its dirty pages and wait.
func (t *Task) Sync(file int) error {
	t.opStart()
	defer t.opDone()
	ino, err := t.fs.inode(file)
	if err != nil {
		return err
	}
	if err := t.writebackRange(ino, 0, ino.maxPages, true); err != nil {
		return err
	}
	return t.fs.store.Sync()
}
