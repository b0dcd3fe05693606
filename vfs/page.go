package vfs

import (
	"sync"
	"sync/atomic"
)

// Page flags.
const (
	pgUptodate uint32 = 1 << iota
	pgDirty
	pgWriteback
	pgReadahead // the async readahead marker (PG_readahead)
	pgReferenced
	pgError
)

// Page is one page of a file in the page cache.
type Page struct {
	index uint64
	lock  sync.Mutex // the page lock: guards the page's mapping, block and data changes (see the package doc)
	flags atomic.Uint32
	data  atomic.Pointer[[PageSize]byte] // immutable once published; see the package doc

	// Guarded by the page lock:
	mapping *Mapping // nil once the page is truncated or reclaimed
	block   uint64   // cached block number (like a buffer head); 0 if not mapped yet or a hole

	mapcount atomic.Int32 // page-table entries that map the page

	// wbRetired are the buffers published over while the page was under
	// writeback, which its write may still be reading: retired when it ends.
	// Guarded by pageCache.wbMu.
	wbRetired []*[PageSize]byte

	// slot is the index slot the page was inserted in; set before the page is
	// published and never changed, so it may be read without the page lock.
	slot *slot

	// LRU links, guarded by pageCache.lruMu.
	prev, next *Page
	onLRU      bool
}

func (p *Page) has(f uint32) bool { return p.flags.Load()&f != 0 }
func (p *Page) set(f uint32)      { p.flags.Or(f) }
func (p *Page) clear(f uint32)    { p.flags.And(^f) }
func (p *Page) uptodate() bool    { return p.has(pgUptodate) }
func (p *Page) dirty() bool       { return p.has(pgDirty) }

// lockEntry is the value a lock entry has in the page index (see the lockentries
// strategy): a slot holding it has no page and no page may be created in it.
var lockEntry = &Page{}

// zeroPage is the shared contents of a page of a hole.
var zeroPage = new([PageSize]byte)

// pageCache is the cache-wide state: page and dirty counts, the LRU and the
// writeback wait queue.
type pageCache struct {
	fs          *FS
	nrPages     atomic.Int64
	nrDirty     atomic.Int64
	nrWriteback atomic.Int64 // pages under writeback (NR_WRITEBACK)
	maxPages    int64

	lruMu sync.Mutex // guards the LRU list (head and every page's prev and next) and hand
	head  Page       // sentinel of the LRU list: head.next is the most recently added
	hand  *Page

	wbMu   sync.Mutex // guards the end of writeback (wbCond) and pages' wbRetired
	wbCond *sync.Cond
}

func (c *pageCache) init(fs *FS) {
	c.fs = fs
	c.maxPages = fs.opts.CacheBytes / PageSize
	c.head.next, c.head.prev = &c.head, &c.head
	c.wbCond = sync.NewCond(&c.wbMu)
}

// slot is one entry of the page index: the page and, while the page is a plain
// cache hit (uptodate, referenced, no readahead marker), its data. A read that
// finds data in hit copies it without touching the Page, as the xarray's marks
// let a lookup answer from the node it already holds: on a random read of a
// cached file the Page is a cache miss of its own (RESULTS.md, Calibration).
//
// hit is nil or the current data of the page in page; what keeps it so:
//   - it is set only under the page lock, with the page still in the slot
//     (setHit), and cleared under the page lock before the page leaves the slot
//     (pageCache.remove), so a read that starts after a truncation completed
//     cannot find the old data here;
//   - whoever publishes new data (write, a store through a mapping) moves hit to
//     the page's current data (Page.publish);
//   - reclaim clears it with the referenced bit, so the next read takes the
//     full path and marks the page accessed again.
type slot struct {
	page atomic.Pointer[Page]
	hit  atomic.Pointer[[PageSize]byte]
}

// lookup returns the page at idx, or nil. It takes no lock.
func (m *Mapping) lookup(idx uint64) *Page {
	p := m.slots[idx].page.Load()
	if p == lockEntry {
		return nil
	}
	return p
}

// insert adds a new locked page at idx; it fails if the slot is taken (by a page
// or a lock entry).
func (c *pageCache) insert(m *Mapping, p *Page) bool {
	p.mapping = m
	p.slot = &m.slots[p.index]
	if !p.slot.page.CompareAndSwap(nil, p) {
		p.mapping, p.slot = nil, nil
		return false
	}
	c.nrPages.Add(1)
	c.lruMu.Lock()
	p.next, p.prev = c.head.next, &c.head
	c.head.next.prev = p
	c.head.next = p
	p.onLRU = true
	c.lruMu.Unlock()
	return true
}

// remove deletes a locked page from its mapping and the LRU.
func (c *pageCache) remove(p *Page) {
	m := p.mapping
	p.slot.hit.Store(nil)
	p.slot.page.CompareAndSwap(p, m.entries.vacant(p.index))
	p.mapping = nil
	if p.flags.Load()&pgDirty != 0 {
		p.clear(pgDirty)
		m.nrDirty.Add(-1)
		c.nrDirty.Add(-1)
	}
	c.nrPages.Add(-1)
	c.lruMu.Lock()
	if p.onLRU {
		if c.hand == p {
			c.hand = p.prev
		}
		p.prev.next = p.next
		p.next.prev = p.prev
		p.prev, p.next, p.onLRU = nil, nil, false
	}
	c.lruMu.Unlock()
}

// markDirty sets a locked page dirty and accounts for it; it reports whether
// the page was clean (the task dirtied a page: nr_dirtied).
func (c *pageCache) markDirty(p *Page) bool {
	if p.flags.Or(pgDirty)&pgDirty == 0 {
		p.mapping.nrDirty.Add(1)
		c.nrDirty.Add(1)
		c.fs.dirty.dirtied.Add(1)
		return true
	}
	return false
}

// newPage allocates a locked, not uptodate page, reclaiming first if the cache
// is full (direct reclaim).
func (t *Task) newPage(idx uint64, site Site) *Page {
	c := &t.fs.cache
	if c.nrPages.Load() >= c.maxPages {
		t.reclaim(32)
	}
	p := &Page{index: idx}
	p.lock.Lock()
	t.acquired(p, ClassPage, site, Exclusive, 0)
	return p
}

// addPage is add_to_page_cache: a new locked page at idx of m, inserted inside
// the strategy's insertion hook (perpage takes its lock there), or nil if the
// slot was taken meanwhile.
func (t *Task) addPage(m *Mapping, idx uint64, site Site) *Page {
	t.fs.strategy.Enter(t, m, SitePageInsert, idx, idx)
	return t.addPageEntered(m, idx, site)
}

// addPageEntered is addPage for a caller that has entered the hook itself
// (readahead tries it first); it leaves the hook.
func (t *Task) addPageEntered(m *Mapping, idx uint64, site Site) *Page {
	p := t.newPage(idx, site)
	ok := t.fs.cache.insert(m, p)
	t.fs.strategy.Exit(t, m, SitePageInsert, idx, idx)
	if !ok {
		t.unlockPage(p, site)
		return nil
	}
	return p
}

// reclaim evicts up to n clean, unlocked pages with a second-chance clock over
// the LRU, unmapping mapped ones. It takes no invalidation lock.
func (t *Task) reclaim(n int) {
	c := &t.fs.cache
	var victims []*Page
	c.lruMu.Lock()
	scan := 4 * (n + 16)
	for ; scan > 0 && len(victims) < n; scan-- {
		p := c.hand
		if p == nil || p == &c.head {
			p = c.head.prev
		}
		if p == &c.head {
			break
		}
		c.hand = p.prev
		if p.flags.Load()&pgReferenced != 0 {
			p.clear(pgReferenced)
			p.slot.hit.Store(nil)
			continue
		}
		if p.flags.Load()&(pgDirty|pgWriteback) != 0 {
			continue
		}
		victims = append(victims, p)
	}
	c.lruMu.Unlock()
	for _, p := range victims {
		if !t.trylockPage(p, SiteReclaim) {
			continue
		}
		if m := p.mapping; m != nil && p.flags.Load()&(pgDirty|pgWriteback) == 0 && p.uptodate() {
			if p.mapcount.Load() > 0 {
				t.unmapPage(m, p)
			}
			if p.mapcount.Load() == 0 {
				c.remove(p)
				t.retire(p.data.Load())
			}
		}
		t.unlockPage(p, SiteReclaim)
	}
}

// publish makes buf the page's data, moves the slot's hit to it and retires
// the old data. The page is locked or mapped writable (under ptl), so it is in
// its slot; stores through two mappings may race, so hit follows p.data by
// compare-and-swap until it holds the latest (each publisher retries after its
// own store).
func (t *Task) publish(p *Page, buf *[PageSize]byte) {
	old := p.data.Swap(buf)
	for {
		h := p.slot.hit.Load()
		d := p.data.Load()
		if h == nil || h == d || p.slot.hit.CompareAndSwap(h, d) {
			break
		}
	}
	if p.has(pgWriteback) && t.fs.cache.retireAfterWriteback(p, old) {
		return
	}
	t.retire(old)
}

// retireAfterWriteback keeps old, published over on a page under writeback,
// until the writeback ends: its write, which no task's grace period covers,
// may still be reading it. It reports false if the writeback has ended.
func (c *pageCache) retireAfterWriteback(p *Page, old *[PageSize]byte) bool {
	if old == nil || old == zeroPage {
		return false
	}
	c.wbMu.Lock()
	defer c.wbMu.Unlock()
	if !p.has(pgWriteback) {
		return false
	}
	p.wbRetired = append(p.wbRetired, old)
	return true
}

// hitFlags are the flags of a page whose data may be in its slot's hit.
const hitFlags = pgUptodate | pgReferenced

// setHit puts the data of page p of m in its slot after a read found it there
// the slow way. Under the page lock, a page in its slot that no page table maps
// cannot be removed or get new data (writes lock the page; a store through a
// mapping needs a writable entry, and mapping the page takes its lock), so the
// data stored is current until the next publish or remove. It tries the lock
// without waiting (a busy page keeps the slow path) and, like the accessed
// bit, is the model's shortcut, not a lock the kernel takes: it is not counted
// in the lock statistics.
func setHit(m *Mapping, p *Page) {
	if p.mapcount.Load() != 0 || p.flags.Load()&(hitFlags|pgReadahead|pgError) != hitFlags || !p.lock.TryLock() {
		return
	}
	if p.mapping == m && p.mapcount.Load() == 0 && p.flags.Load()&(hitFlags|pgReadahead|pgError) == hitFlags {
		d := p.data.Load()
		p.slot.hit.Store(d)
		if p.flags.Load()&pgReferenced == 0 { // reclaim cleared it meanwhile: let it
			p.slot.hit.CompareAndSwap(d, nil)
		}
	}
	p.lock.Unlock()
}

// markAccessed sets the referenced bit without writing the cache line when it
// is already set, so cache hits do not bounce it between cores.
func markAccessed(p *Page) {
	if p.flags.Load()&pgReferenced == 0 {
		p.set(pgReferenced)
	}
}

// waitWriteback waits until the page is not under writeback.
func (c *pageCache) waitWriteback(p *Page) {
	if !p.has(pgWriteback) {
		return
	}
	c.wbMu.Lock()
	for p.has(pgWriteback) {
		c.wbCond.Wait()
	}
	c.wbMu.Unlock()
}

// endWriteback ends a page's writeback, wakes its waiters and retires the
// buffers published over it meanwhile.
func (c *pageCache) endWriteback(p *Page) {
	c.wbMu.Lock()
	p.clear(pgWriteback)
	c.nrWriteback.Add(-1)
	old := p.wbRetired
	p.wbRetired = nil
	c.wbCond.Broadcast()
	c.wbMu.Unlock()
	if old != nil {
		c.fs.buffers.retireOrphans(old)
	}
}
