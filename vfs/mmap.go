package vfs

import (
	"fmt"

	"github.com/rwbench/rwbench/sigbus"
)

// MM is a process's address space: mmap_lock, the page-table lock, and one
// shared mapping (VMA) of each file, made on first use.
type MM struct {
	mmapLock RWSem
	ptl      rankedMutex
	vmas     []*vma
}

// vma maps a whole file, MAP_SHARED.
type vma struct {
	mm   *MM
	m    *Mapping
	ptes []pte // guarded by mm.ptl
}

// pte is a page-table entry.
type pte struct {
	page     *Page
	writable bool
}

func newMM(files int) *MM {
	mm := &MM{vmas: make([]*vma, files)}
	mm.mmapLock.class = ClassMmapLock
	mm.ptl.class = ClassPTL
	return mm
}

// vma returns the task's mapping of file, mapping it (mmap) on first use.
func (t *Task) vma(ino *Inode) *vma {
	mm := t.mm
	if v := mm.vmas[ino.ino]; v != nil {
		return v
	}
	v := &vma{mm: mm, m: &ino.Mapping, ptes: make([]pte, ino.maxPages)}
	mm.mmapLock.lock(t, SiteFault, Exclusive)
	ino.Mapping.immap.lock(t, SiteFault, Exclusive)
	ino.Mapping.vmas = append(ino.Mapping.vmas, v)
	ino.Mapping.immap.unlock(t, SiteFault, Exclusive)
	mm.vmas[ino.ino] = v
	mm.mmapLock.unlock(t, SiteFault, Exclusive)
	return v
}

// unmapAll is munmap of every mapping, at task exit.
func (mm *MM) unmapAll(t *Task) {
	for i, v := range mm.vmas {
		if v == nil {
			continue
		}
		m := v.m
		t.unmapRange(m, 0, uint64(len(v.ptes)))
		m.immap.lock(t, SiteFault, Exclusive)
		for j, w := range m.vmas {
			if w == v {
				m.vmas = append(m.vmas[:j], m.vmas[j+1:]...)
				break
			}
		}
		m.immap.unlock(t, SiteFault, Exclusive)
		mm.vmas[i] = nil
	}
}

// zap is madvise(MADV_DONTNEED) of one page: drop this task's mapping of it so
// the next access faults.
func (t *Task) zap(v *vma, idx uint64) {
	v.mm.mmapLock.lock(t, SiteFault, Shared)
	v.mm.ptl.lock(t, SiteFault, Exclusive)
	if e := &v.ptes[idx]; e.page != nil {
		e.page.mapcount.Add(-1)
		*e = pte{}
	}
	v.mm.ptl.unlock(t, SiteFault, Exclusive)
	v.mm.mmapLock.unlock(t, SiteFault, Shared)
}

func (t *Task) faultPage(file int, off int64) (*Inode, *vma, uint64, error) {
	ino, err := t.fs.inode(file)
	if err != nil {
		return nil, nil, 0, err
	}
	if off < 0 || off%PageSize != 0 || uint64(off/PageSize) >= ino.maxPages {
		return nil, nil, 0, fmt.Errorf("file %d offset %d: %w", file, off, ErrAlign)
	}
	return ino, t.vma(ino), uint64(off / PageSize), nil
}

// FaultRead drops the task's mapping of the page at off and loads it through the
// mapping: a read fault.
func (t *Task) FaultRead(file int, off int64, buf []byte) error {
	t.opStart()
	defer t.opDone()
	v, idx, err := t.unmapped(file, off)
	if err != nil {
		return err
	}
	return t.loadPage(v, idx, buf)
}

// unmapped is the task's mapping of file and the page at off in it, with the
// page's entry dropped, so that the next access faults.
func (t *Task) unmapped(file int, off int64) (*vma, uint64, error) {
	_, v, idx, err := t.faultPage(file, off)
	if err != nil {
		return nil, 0, err
	}
	t.zap(v, idx)
	return v, idx, nil
}

// loadPage copies page idx of the mapping v into buf (up to a page), faulting it
// in if it is not mapped. The copy happens under the page-table lock, which
// stands for the TLB: once unmap returns, no load goes through the old entry.
func (t *Task) loadPage(v *vma, idx uint64, buf []byte) error {
	for {
		v.mm.ptl.lock(t, SiteFault, Exclusive)
		if p := v.ptes[idx].page; p != nil {
			copy(buf, p.data.Load()[:])
			markAccessed(p)
			v.mm.ptl.unlock(t, SiteFault, Exclusive)
			return nil
		}
		v.mm.ptl.unlock(t, SiteFault, Exclusive)
		if err := t.handleFault(v, idx, false); err != nil {
			return err
		}
	}
}

// FaultWrite drops the task's mapping of the page and stores data (one page)
// through the mapping: a write fault on a shared mapping, through page_mkwrite.
func (t *Task) FaultWrite(file int, off int64, data []byte) error {
	t.opStart()
	defer t.opDone()
	v, idx, err := t.unmapped(file, off)
	if err != nil {
		return err
	}
	if err := t.storePage(v, idx, data); err != nil {
		return err
	}
	return t.balanceDirty()
}

// storePage stores data (up to a page; the rest of the page keeps its contents)
// into page idx of the mapping v, taking a write fault (->fault, then
// ->page_mkwrite) unless the page is mapped writable. A store publishes a new
// buffer, so readers never see it torn.
func (t *Task) storePage(v *vma, idx uint64, data []byte) error {
	buf := t.pageBuffer()
	for {
		v.mm.ptl.lock(t, SiteMkwrite, Exclusive)
		if e := v.ptes[idx]; e.page != nil && e.writable {
			if len(data) < PageSize {
				copy(buf[:], e.page.data.Load()[:])
			}
			copy(buf[:], data)
			t.publish(e.page, buf)
			markAccessed(e.page)
			v.mm.ptl.unlock(t, SiteMkwrite, Exclusive)
			return nil
		}
		v.mm.ptl.unlock(t, SiteMkwrite, Exclusive)
		if err := t.handleFault(v, idx, true); err != nil {
			return err
		}
	}
}

// handleFault is handle_mm_fault for a file page with no entry: under mmap_lock,
// fault-around for reads (do_read_fault), else ->fault, then page_mkwrite for
// writes (do_shared_fault), then install the entry (finish_fault).
func (t *Task) handleFault(v *vma, idx uint64, write bool) error {
	mm, m := v.mm, v.m
	mm.mmapLock.lock(t, SiteFault, Shared)
	defer mm.mmapLock.unlock(t, SiteFault, Shared)
	if int64(idx)*PageSize >= m.host.size.Load() {
		return fmt.Errorf("file %d page %d: %w", m.host.ino, idx, sigbus.ErrBeyondEOF)
	}
	if !write && t.fs.opts.FaultAroundPages > 1 && t.faultAround(v, idx) {
		return nil
	}
	p, err := t.filemapFault(v, idx)
	if err != nil || p == nil {
		return err
	}
	site := SiteFault
	if write {
		t.unlockPage(p, SiteFault)
		if ok, err := t.pageMkwrite(v, p); !ok {
			return err // retry the fault, or fail
		}
		site = SiteMkwrite
	}
	mm.ptl.lock(t, site, Exclusive)
	if e := &v.ptes[idx]; e.page == nil {
		*e = pte{page: p, writable: write}
		p.mapcount.Add(1)
	} else if e.page == p && write {
		e.writable = true
	}
	mm.ptl.unlock(t, site, Exclusive)
	t.unlockPage(p, site)
	return nil
}

// filemapFault is filemap_fault: it returns the page locked and uptodate, or
// nil to retry. A missing page is read around the fault first.
func (t *Task) filemapFault(v *vma, idx uint64) (*Page, error) {
	m, s := v.m, t.fs.strategy
	ino := m.host
	s.Enter(t, m, SiteFault, idx, idx)
	defer s.Exit(t, m, SiteFault, idx, idx)
	creating := false // holding the strategy's SiteFaultCreate
	defer func() {
		if creating {
			s.Exit(t, m, SiteFaultCreate, idx, idx)
		}
	}()
	enterCreate := func() {
		if !creating {
			s.Enter(t, m, SiteFaultCreate, idx, idx)
			creating = true
		}
	}
	for {
		// Readahead only before the strategy's create lock is held: it takes
		// that lock itself (page_cache_ra_unbounded), and a recursive shared
		// acquisition deadlocks behind a queued punch.
		p := m.lookup(idx)
		if p != nil {
			if p.has(pgReadahead) && !creating {
				t.asyncReadahead(ino, p, t.raMax()) // do_async_mmap_readahead asks for ra_pages
			}
			if !p.uptodate() {
				enterCreate()
			}
			t.lockPage(p, SiteFault)
		} else {
			if !creating {
				t.syncMmapReadahead(ino, idx)
			}
			enterCreate()
			if p = m.lookup(idx); p != nil {
				t.lockPage(p, SiteFault)
			} else {
				if p = t.addPage(m, idx, SiteFault); p == nil {
					continue
				}
				if err := t.readPages(ino, []*Page{p}); err != nil {
					t.unlockPage(p, SiteFault)
					return nil, err
				}
			}
		}
		if p.mapping != m {
			t.unlockPage(p, SiteFault)
			continue
		}
		if !p.uptodate() {
			if !creating {
				t.unlockPage(p, SiteFault)
				enterCreate()
				continue
			}
			if err := t.readPages(ino, []*Page{p}); err != nil {
				t.unlockPage(p, SiteFault)
				return nil, err
			}
		}
		if int64(idx)*PageSize >= ino.size.Load() {
			t.unlockPage(p, SiteFault)
			return nil, fmt.Errorf("file %d page %d: %w", ino.ino, idx, sigbus.ErrBeyondEOF)
		}
		return p, nil
	}
}

// syncMmapReadahead is do_sync_mmap_readahead: read around the fault, unless the
// task has missed so often that read-around is wasting the cache (MMAP_LOTSAMISS).
func (t *Task) syncMmapReadahead(ino *Inode, idx uint64) {
	ra := &t.ra[ino.ino]
	if ra.mmapMiss < 1000 {
		ra.mmapMiss++
	}
	if ra.mmapMiss > 100 {
		return
	}
	n := t.raMax()
	start := uint64(0)
	if idx > n/2 {
		start = idx - n/2
	}
	ra.start, ra.size, ra.async = start, n, n/4
	t.readahead(ino, start, n, start+n-n/4)
}

// faultAround is filemap_map_pages: under the page-table lock, map the cached,
// uptodate, unlocked pages of the aligned window around idx that are not mapped
// yet, trylocking each (a trylock cannot deadlock, so it may nest inside ptl).
// The model takes no invalidation lock here; the strategy's hook around it is
// ->map_pages (XFS from 5.1 to 6.3 took MMAPLOCK shared there). It reports
// whether it mapped idx itself.
func (t *Task) faultAround(v *vma, idx uint64) bool {
	m, s := v.m, t.fs.strategy
	n := uint64(t.fs.opts.FaultAroundPages)
	start := idx - idx%n
	size := uint64(m.host.size.Load())
	end := min(start+n, (size+PageSize-1)/PageSize, uint64(len(v.ptes)))
	if start >= end {
		return false
	}
	s.Enter(t, m, SiteFaultAround, start, end-1)
	defer s.Exit(t, m, SiteFaultAround, start, end-1)
	mapped := false
	ra := &t.ra[m.host.ino]
	v.mm.ptl.lock(t, SiteFaultAround, Exclusive)
	for i := start; i < end; i++ {
		e := &v.ptes[i]
		if e.page != nil {
			continue
		}
		p := m.lookup(i)
		if p == nil || p.flags.Load()&(pgUptodate|pgReadahead) != pgUptodate {
			continue
		}
		if !t.trylockPage(p, SiteFaultAround) {
			continue
		}
		if p.mapping == m && p.uptodate() {
			*e = pte{page: p}
			p.mapcount.Add(1)
			mapped = mapped || i == idx
			markAccessed(p)
			if ra.mmapMiss > 0 {
				ra.mmapMiss--
			}
		}
		t.unlockPage(p, SiteFaultAround)
	}
	v.mm.ptl.unlock(t, SiteFaultAround, Exclusive)
	return mapped
}

// pageMkwrite is ->page_mkwrite: under the strategy's lock, lock the page,
// check it was not truncated, give a hole a block, mark the page dirty. It
// returns with the page locked, or false to retry the fault.
func (t *Task) pageMkwrite(v *vma, p *Page) (bool, error) {
	m, s := v.m, t.fs.strategy
	idx := p.index
	s.Enter(t, m, SiteMkwrite, idx, idx)
	defer s.Exit(t, m, SiteMkwrite, idx, idx)
	t.lockPage(p, SiteMkwrite)
	if p.mapping != m {
		t.unlockPage(p, SiteMkwrite)
		return false, nil
	}
	if int64(idx)*PageSize >= m.host.size.Load() {
		t.unlockPage(p, SiteMkwrite)
		return false, fmt.Errorf("file %d page %d: %w", m.host.ino, idx, sigbus.ErrBeyondEOF)
	}
	if p.block == 0 {
		blk, err := t.fs.blockForWrite(m.host, idx)
		if err != nil {
			t.unlockPage(p, SiteMkwrite)
			return false, err
		}
		p.block = blk
	}
	if t.fs.cache.markDirty(p) {
		t.throttle.nrDirtied++
	}
	return true, nil
}

// unmapRange is unmap_mapping_range: remove every entry for [first, end) from
// every mapping of m.
func (t *Task) unmapRange(m *Mapping, first, end uint64) {
	m.immap.lock(t, SitePunch, Shared)
	for _, v := range m.vmas {
		v.mm.ptl.lock(t, SitePunch, Exclusive)
		for i := first; i < end && i < uint64(len(v.ptes)); i++ {
			if e := &v.ptes[i]; e.page != nil {
				e.page.mapcount.Add(-1)
				*e = pte{}
			}
		}
		v.mm.ptl.unlock(t, SitePunch, Exclusive)
	}
	m.immap.unlock(t, SitePunch, Shared)
}

// unmapPage is try_to_unmap of one locked page.
func (t *Task) unmapPage(m *Mapping, p *Page) {
	t.eachPTE(m, p, SiteReclaim, func(e *pte) {
		p.mapcount.Add(-1)
		*e = pte{}
	})
}

// mkclean is page_mkclean of one locked page: write-protect every entry.
func (t *Task) mkclean(m *Mapping, p *Page) {
	t.eachPTE(m, p, SiteWriteback, func(e *pte) { e.writable = false })
}

// eachPTE is the rmap walk over one locked page: fn on every page table entry
// that maps it, under i_mmap_rwsem shared and each mm's page table lock.
func (t *Task) eachPTE(m *Mapping, p *Page, site Site, fn func(e *pte)) {
	m.immap.lock(t, site, Shared)
	for _, v := range m.vmas {
		v.mm.ptl.lock(t, site, Exclusive)
		if e := &v.ptes[p.index]; e.page == p {
			fn(e)
		}
		v.mm.ptl.unlock(t, site, Exclusive)
	}
	m.immap.unlock(t, site, Shared)
}
