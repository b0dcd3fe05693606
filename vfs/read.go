package vfs

import (
	"errors"
	"fmt"
	"github.com/rwbench/rwbench/sigbus"
)

// maxBatch is the most pages one filemap_get_pages call returns.
const maxBatch = 512

// Read is read(2) on a file: a buffered read of len(buf) bytes at off. It
// returns a short count at end of file.
func (t *Task) Read(file int, off int64, buf []byte) (int, error) {
	t.opStart()
	defer t.opDone()
	ino, err := t.fs.inode(file)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("file %d offset %d: negative", file, off)
	}
	if len(buf) == 0 {
		return 0, nil
	}
	m, s := &ino.Mapping, t.fs.strategy
	// The strategy gets pages of the mapping: a read reaching past the file's
	// maximum size is clipped (to an empty range maxPages..maxPages-1 if it
	// starts past it).
	first := min(uint64(off/PageSize), ino.maxPages)
	last := min(uint64((off+int64(len(buf))-1)/PageSize), ino.maxPages-1)
	s.Enter(t, m, SiteReadEntry, first, last)
	n, err := t.read(ino, off, buf)
	t.schedPoint()
	s.Exit(t, m, SiteReadEntry, first, last)
	return n, err
}

// read is filemap_read: get a batch of uptodate pages, copy them out, repeat.
func (t *Task) read(ino *Inode, off int64, buf []byte) (int, error) {
	done := 0
	for done < len(buf) {
		pos := off + int64(done)
		size := ino.size.Load()
		if pos >= size {
			break
		}
		end := min(off+int64(len(buf)), size)
		first := uint64(pos / PageSize)
		batch, err := t.getPages(ino, first, uint64((end-1)/PageSize))
		if errors.Is(err, sigbus.ErrBeyondEOF) {
			break // truncated under us: a short read, as at end of file (not SIGBUS)
		}
		if err != nil {
			return done, err
		}
		// i_size may have shrunk while we looked up the pages: copy only below it.
		size = ino.size.Load()
		for k, e := range batch {
			start := int64(first+uint64(k)) * PageSize
			if pos >= size || pos >= end || start > pos {
				break
			}
			lim := min(size, end) - start
			if lim > PageSize {
				lim = PageSize
			}
			data := e.data
			if data == nil {
				data = e.page.data.Load()
			}
			n := copy(buf[done:], data[pos-start:lim])
			done += n
			pos += int64(n)
			if e.page != nil {
				markAccessed(e.page)
				setHit(&ino.Mapping, e.page)
			}
		}
		t.ra[ino.ino].prev = uint64((pos-1)/PageSize) + 1
		if pos >= size {
			break
		}
		if done < len(buf) {
			t.quiescent() // a long read holds no buffer between batches: let grace periods pass
		}
	}
	return done, nil
}

// batchPage is a page of a read batch: its data if the slot had it (a hit, see
// slot), else the page.
type batchPage struct {
	page *Page
	data *[PageSize]byte
}

// getPages is filemap_get_pages: it returns at least one uptodate page starting
// at idx, and at most the cached run up to last, in index order.
func (t *Task) getPages(ino *Inode, idx, last uint64) ([]batchPage, error) {
	m, s := &ino.Mapping, t.fs.strategy
	s.Enter(t, m, SiteReadBatch, idx, last)
	defer s.Exit(t, m, SiteReadBatch, idx, last)
	for {
		batch := t.batch[:0]
		for i := idx; i <= last && len(batch) < maxBatch; i++ {
			if d := m.slots[i].hit.Load(); d != nil {
				batch = append(batch, batchPage{data: d})
				continue
			}
			p := m.lookup(i)
			if p == nil {
				break
			}
			batch = append(batch, batchPage{page: p})
			if p.flags.Load()&(pgUptodate|pgReadahead) != pgUptodate {
				break
			}
		}
		if len(batch) == 0 {
			t.syncReadahead(ino, idx, last-idx+1)
			p, err := t.createPage(ino, idx)
			if err != nil {
				return nil, err
			}
			if p == nil {
				continue // lost a race with another creator: look again
			}
			batch = append(batch, batchPage{page: p})
		}
		t.batch = batch
		lp := batch[len(batch)-1].page
		if lp == nil {
			return batch, nil // ends with a hit: uptodate, no readahead marker
		}
		if lp.has(pgReadahead) {
			t.asyncReadahead(ino, lp, last-lp.index+1)
		}
		if !lp.uptodate() {
			ok, err := t.updatePage(ino, lp)
			if err != nil {
				return nil, err
			}
			if !ok {
				if len(batch) == 1 {
					continue // truncated or locked under us: look again
				}
				batch = batch[:len(batch)-1]
			}
		}
		return batch, nil
	}
}

// createPage is filemap_create_folio: allocate a page, insert it locked, read
// it. It returns the page uptodate, or nil if another task inserted one first.
// A page already present (made by readahead) is returned as found.
func (t *Task) createPage(ino *Inode, idx uint64) (*Page, error) {
	m, s := &ino.Mapping, t.fs.strategy
	if p := m.lookup(idx); p != nil {
		return p, nil
	}
	if uint64(ino.size.Load()) <= idx*PageSize {
		return nil, fmt.Errorf("file %d page %d: %w", ino.ino, idx, sigbus.ErrBeyondEOF)
	}
	s.Enter(t, m, SitePageCreate, idx, idx)
	defer s.Exit(t, m, SitePageCreate, idx, idx)
	p := t.addPage(m, idx, SitePageCreate)
	if p == nil {
		return nil, nil
	}
	err := t.readPages(ino, []*Page{p})
	t.unlockPage(p, SitePageCreate)
	return p, err
}

// updatePage is filemap_update_page: bring a cached page uptodate. It reports
// false if the caller must look the page up again: the page was truncated
// meanwhile, or it was locked (by readahead reading it, usually), in which
// case the strategy's lock is dropped before waiting for the page to be
// unlocked, as the kernel drops invalidate_lock before it sleeps on the folio
// lock: a punch waiting for the lock exclusive would otherwise wait for that
// I/O too.
func (t *Task) updatePage(ino *Inode, p *Page) (bool, error) {
	m, s := &ino.Mapping, t.fs.strategy
	s.Enter(t, m, SitePageUpdate, p.index, p.index)
	if !t.trylockPage(p, SitePageUpdate) {
		s.Exit(t, m, SitePageUpdate, p.index, p.index)
		t.lockPage(p, SitePageUpdate) // folio_put_wait_locked: wait until it is unlocked
		t.unlockPage(p, SitePageUpdate)
		return false, nil
	}
	defer s.Exit(t, m, SitePageUpdate, p.index, p.index)
	defer t.unlockPage(p, SitePageUpdate)
	if p.mapping != m {
		return false, nil
	}
	if p.uptodate() {
		return true, nil
	}
	return true, t.readPages(ino, []*Page{p})
}

// readPages is ->read_folio for locked pages, waiting for the I/O: map each
// page's block (mapBlocks), read runs of consecutive blocks with one vectored
// I/O each through the queue, and mark the pages uptodate.
func (t *Task) readPages(ino *Inode, pages []*Page) error {
	var firstErr error
	t.mapBlocks(ino, pages, func(*Page) {}, func(run []*Page) {
		bufs, iov := t.readBuffers(len(run), t.iov[:0])
		t.iov = iov
		t.slept()
		t.ioSlept = true
		err := t.fs.queue.Read(run[0].block, iov)
		if err := endRead(ino, run, bufs, err); err != nil && firstErr == nil {
			firstErr = err
		}
	})
	return firstErr
}

// submitRead is ->readahead: like readPages, but it submits the runs' I/O and
// returns; each run's completion marks its pages uptodate (or in error) and
// unlocks them, so a reader that wants one waits on its page lock, as in the
// kernel. The task hands the page locks to the I/O (hold times end at submit).
func (t *Task) submitRead(ino *Inode, pages []*Page, site Site) {
	hole := func(p *Page) { t.unlockPage(p, site) }
	t.mapBlocks(ino, pages, hole, func(run []*Page) {
		run = append([]*Page(nil), run...) // the caller reuses pages
		bufs, iov := t.readBuffers(len(run), nil)
		// Last first: the task's held list has the run's pages in the order
		// it locked them, and released looks from its end, so a run of n
		// pages costs n steps, not n*n/2 (256 pages for a 1MiB window).
		for i := len(run) - 1; i >= 0; i-- {
			t.released(run[i], ClassPage, site, Exclusive)
		}
		t.fs.queue.Submit(false, run[0].block, iov, func(err error) {
			_ = endRead(ino, run, bufs, err) // an error resurfaces on the page's next read
			for _, p := range run {
				p.lock.Unlock()
			}
		})
	})
}

// mapBlocks looks up the block of each locked page (caching the block number in
// the page, as a buffer head does), makes holes and unwritten extents uptodate
// zero pages (and calls hole on each), and calls read for each run of pages on
// consecutive blocks.
func (t *Task) mapBlocks(ino *Inode, pages []*Page, hole func(*Page), read func(run []*Page)) {
	ino.bmapLock.RLock()
	for _, p := range pages {
		b := ino.bmap[p.index]
		if b&unwrittenBit != 0 {
			b = 0
		}
		p.block = b
	}
	ino.bmapLock.RUnlock()
	for i := 0; i < len(pages); {
		p := pages[i]
		if p.block == 0 {
			p.data.Store(zeroPage)
			p.set(pgUptodate)
			hole(p)
			i++
			continue
		}
		j := i + 1
		for j < len(pages) && pages[j].block == pages[j-1].block+1 {
			j++
		}
		read(pages[i:j])
		i = j
	}
}

// readBuffers returns n fresh page buffers and iov, extended with their bytes.
func (t *Task) readBuffers(n int, iov [][]byte) ([]*[PageSize]byte, [][]byte) {
	bufs := make([]*[PageSize]byte, n)
	for k := range bufs {
		bufs[k] = t.pageBuffer()
		iov = append(iov, bufs[k][:])
	}
	return bufs, iov
}

// endRead ends the read of a run of pages: on success their data is bufs and
// they are uptodate, on failure they are marked in error.
func endRead(ino *Inode, run []*Page, bufs []*[PageSize]byte, err error) error {
	if err != nil {
		for _, q := range run {
			q.set(pgError)
		}
		return fmt.Errorf("file %d page %d block %d: %w", ino.ino, run[0].index, run[0].block, err)
	}
	for k, q := range run {
		q.data.Store(bufs[k])
		q.clear(pgError)
		q.set(pgUptodate)
	}
	return nil
}

// readahead is page_cache_ra_unbounded: allocate and insert locked pages for
// [start, start+n) that are not cached, mark the page at mark for async
// readahead, and submit their reads. It does not wait for the I/O: the
// strategy's lock at the readahead site covers allocation, insertion and
// submission, as the kernel's invalidate_lock does, and the locked pages keep
// punch away until their reads complete.
func (t *Task) readahead(ino *Inode, start, n, mark uint64) {
	size := uint64(ino.size.Load())
	end := min(start+n, (size+PageSize-1)/PageSize, ino.maxPages)
	if start >= end {
		return
	}
	m, s := &ino.Mapping, t.fs.strategy
	s.Enter(t, m, SiteReadahead, start, end-1)
	defer s.Exit(t, m, SiteReadahead, start, end-1)
	var pages []*Page
	submit := func() {
		if len(pages) > 0 {
			t.submitRead(ino, pages, SiteReadahead)
			pages = pages[:0]
		}
	}
	for i := start; i < end; i++ {
		if m.slots[i].page.Load() != nil {
			submit()
			continue
		}
		if len(pages) == 0 {
			s.Enter(t, m, SitePageInsert, i, i)
		} else if !s.TryEnter(t, m, SitePageInsert, i, i) {
			submit()
			s.Enter(t, m, SitePageInsert, i, i)
		}
		p := t.addPageEntered(m, i, SiteReadahead)
		if p == nil {
			submit()
			continue
		}
		if i == mark {
			p.set(pgReadahead)
		}
		pages = append(pages, p)
	}
	submit()
}

// raMax is the file's readahead window (ra->ra_pages), cache.readahead.
func (t *Task) raMax() uint64 { return uint64(max(t.fs.opts.ReadaheadBytes/PageSize, 1)) }

// MaxIOPages is the device's largest I/O in pages (bdi->io_pages, from
// max_sectors_kb): 1280KiB, BLK_DEF_MAX_SECTORS_CAP, what a loop device and
// most virtio and NVMe queues get by default. The model's store is a file, so
// it has no queue limit of its own; the kernel's value keeps a large read the
// same size in the model as on the real filesystems' loop devices.
const MaxIOPages = 1280 << 10 / PageSize

// raWindow is ractl_max_pages: a request larger than the readahead window may
// be read in one go, up to the device's largest I/O. Without it a 1MiB read
// with the default 128KiB window is eight synchronous 128KiB reads.
func (t *Task) raWindow(req uint64) uint64 {
	n := t.raMax()
	if req > n && MaxIOPages > n {
		n = min(req, MaxIOPages)
	}
	return n
}

// initRaSize and nextRaSize are get_init_ra_size and get_next_ra_size.
func initRaSize(req, max uint64) uint64 {
	n := uint64(1)
	for n < req {
		n <<= 1
	}
	switch {
	case n <= max/32:
		n *= 4
	case n <= max/4:
		n *= 2
	default:
		n = max
	}
	return min(n, max)
}

func nextRaSize(cur, max uint64) uint64 {
	if cur < max/16 {
		return min(4*cur, max)
	}
	return min(2*cur, max)
}

// syncReadahead is page_cache_sync_ra (Linux 6.18) on a miss of req pages at
// idx: a sequential stream, the start of the file or a request larger than
// the window gets a window with an async marker (half-way into it when the
// window is all request, so that the next window is read while this one is
// copied); a small random read reads just what it asked for.
func (t *Task) syncReadahead(ino *Inode, idx, req uint64) {
	ra, max := &t.ra[ino.ino], t.raWindow(req)
	if idx == 0 || req > max || idx == ra.prev || idx+1 == ra.prev {
		ra.start, ra.size = idx, initRaSize(req, max)
		ra.async = ra.size >> 1
		if ra.size > req {
			ra.async = ra.size - req
		}
	} else {
		ra.start, ra.size, ra.async = idx, min(req, max), 0
	}
	mark := ^uint64(0)
	if ra.async > 0 {
		mark = ra.start + ra.size - ra.async
	}
	t.readahead(ino, ra.start, ra.size, mark) // errors resurface on the page read
}

// asyncReadahead is page_cache_async_ra, run when a read of req more pages
// meets a page with the readahead marker: it reads the next window ahead of
// the reader.
func (t *Task) asyncReadahead(ino *Inode, p *Page, req uint64) {
	if p.flags.And(^pgReadahead)&pgReadahead == 0 {
		return // another task took the marker
	}
	ra, most := &t.ra[ino.ino], t.raWindow(req)
	if ra.size > 0 && p.index == ra.start+ra.size-ra.async {
		// The window does not shrink when a smaller request meets the
		// marker a larger one set (6.18: max(ra->size, get_next_ra_size())).
		ra.start += ra.size
		ra.size = max(ra.size, nextRaSize(ra.size, most))
	} else {
		ra.start, ra.size = p.index+1, most
	}
	ra.async = ra.size
	t.readahead(ino, ra.start, ra.size, ra.start)
}

// Advise is fadvise(WILLNEED): force_page_cache_ra over the range, in windows.
// Like the kernel's, it submits the reads and returns without waiting for them
// (their errors surface on the pages' next reads), so the strategy's lock at
// the advise site covers the submission only.
func (t *Task) Advise(file int, off, length int64) error {
	t.opStart()
	defer t.opDone()
	ino, first, end, err := t.pageRange(file, off, length)
	if err != nil || first == end {
		return err
	}
	m, s := &ino.Mapping, t.fs.strategy
	s.Enter(t, m, SiteAdvise, first, end-1)
	defer s.Exit(t, m, SiteAdvise, first, end-1)
	step := t.raMax()
	for i := first; i < end; i += step {
		t.readahead(ino, i, min(step, end-i), ^uint64(0))
	}
	return nil
}
