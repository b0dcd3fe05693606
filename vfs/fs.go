package vfs

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
)

// PageSize is the size of a page and of a block.
const PageSize = blockdev.BlockSize

// Errors returned by the model's operations.
var (
	ErrAlign    = errors.New("offset or length not page aligned")
	ErrTooLarge = errors.New("beyond the file's maximum size")
	ErrNoFile   = errors.New("no such file")
)

// Options configure the model.
type Options struct {
	CacheBytes           int64         // page cache limit; reclaim keeps the cache under it
	DirtyBackgroundBytes int64         // the flusher writes back above this
	DirtyLimitBytes      int64         // writers throttle above this
	ReadaheadBytes       int64         // maximum readahead window
	FaultAroundPages     int           // pages mapped around a read fault; 0 disables
	FlushInterval        time.Duration // flusher wakeup; 0 disables the flusher and writers write back (deterministic tests)
	// QueueDepth is the most I/Os in flight on the store (the request queue's
	// tags); 0 is blockdev.DefaultQueueDepth.
	QueueDepth int
	// TimeSlice is how long a task runs before it yields at a scheduling
	// point (see schedPoint); 0 is EEVDF's base slice for this machine's CPUs.
	TimeSlice  time.Duration
	RaceWindow time.Duration // sleep between page-cache truncate and block-map change
	LockTiming bool          // time lock holds (waits are timed when contended)
	// Clock times the lock waits and holds with LockTiming; nil makes one
	// (clock.New: the TSC where the machine allows it, about 20 ms to calibrate).
	Clock *clock.Clock
	// Validate checks every blocking acquisition against the lock order of the
	// package doc and against the class graph of the acquisitions seen so far
	// (see validate). Off, it costs one test of a bool per acquisition.
	Validate bool
	// OnViolation receives each distinct lock-order violation once; nil panics
	// on the first.
	OnViolation func(string)
}

// FS is a filesystem over a Store with its page cache: the unit a strategy is
// measured on.
type FS struct {
	store    blockdev.Store
	queue    *blockdev.Queue // the store's request queue: every read and write goes through it
	alloc    *blockdev.Allocator
	strategy Strategy
	opts     Options
	inodes   []*Inode

	cache   pageCache
	buffers bufferPool   // page buffers past their grace period
	dirty   dirtyControl // dirty throttling: the bandwidth estimate, rate limit and pauses

	graph lockGraph // the lock-class graph, with Validate

	violationMu sync.Mutex // guards violations, seen and dropped
	violations  []string
	seen        map[string]bool // violation keys reported
	dropped     int             // distinct violations beyond maxViolations

	tasksMu sync.Mutex // guards tasks
	tasks   []*Task

	flusherStop chan struct{}
	flusherDone chan struct{}
	kick        chan struct{}
}

// Inode is a file: its size, its i_rwsem, its block map and its mapping.
type Inode struct {
	ino      int
	rwsem    RWSem
	size     atomic.Int64
	maxPages uint64
	// extent is the block the file's first page is aimed at: the files'
	// extents lie one after another on the store (see blockdev.Allocator).
	extent uint64

	// bmapLock guards bmap; it ranks below every instrumented lock.
	bmapLock sync.RWMutex
	bmap     []uint64 // file page -> block; 0 is a hole, unwrittenBit marks a zeroed extent

	Mapping Mapping
}

const unwrittenBit = uint64(1) << 63

// Mapping is the inode's address_space: the page index and the invalidation lock.
type Mapping struct {
	host  *Inode
	slots []slot // the page index (i_pages), one slot per file page
	// Inval is the strategy's invalidation lock (i_mmap_sem, MMAPLOCK, invalidate_lock).
	Inval RWSem
	// Private is per-mapping state of strategies that need more than Inval.
	Private any

	immap   rankedMutex // i_mmap_rwsem: guards vmas
	vmas    []*vma
	nrDirty atomic.Int64
	wbErr   atomic.Pointer[error] // the first asynchronous writeback error since a wait took it

	entries lockEntries
}

// New makes a filesystem with files of size bytes each on store, formatted fresh.
func New(store blockdev.Store, s Strategy, files int, size int64, o Options) (*FS, error) {
	if size <= 0 || size%PageSize != 0 {
		return nil, fmt.Errorf("file size %d: %w", size, ErrAlign)
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 256 << 20
	}
	if o.DirtyLimitBytes <= 0 {
		o.DirtyLimitBytes = o.CacheBytes / 5
	}
	if o.DirtyBackgroundBytes <= 0 {
		o.DirtyBackgroundBytes = o.DirtyLimitBytes / 2
	}
	if o.ReadaheadBytes <= 0 {
		o.ReadaheadBytes = 128 << 10
	}
	if o.TimeSlice <= 0 {
		o.TimeSlice = timeSlice(runtime.NumCPU())
	}
	if o.LockTiming && o.Clock == nil {
		o.Clock = clock.New()
	}
	fs := &FS{
		store:    store,
		queue:    blockdev.NewQueue(store, o.QueueDepth),
		alloc:    blockdev.NewAllocator(store.NumBlocks()),
		strategy: s,
		opts:     o,
		kick:     make(chan struct{}, 1),
	}
	fs.cache.init(fs)
	fs.dirty.init(time.Now())
	fs.buffers.init(o.CacheBytes / PageSize)
	pages := uint64(size / PageSize)
	// Where the files do not all fit, their extents overlap and the
	// allocator finds the next free block.
	stride := pages
	if files > 0 {
		stride = min(pages, store.NumBlocks()/uint64(files))
	}
	for i := 0; i < files; i++ {
		ino := &Inode{ino: i, maxPages: pages, extent: 1 + uint64(i)*stride, bmap: make([]uint64, pages)}
		ino.rwsem.class = ClassIRwsem
		ino.size.Store(size)
		m := &ino.Mapping
		m.host = ino
		m.slots = make([]slot, pages)
		m.Inval.class = ClassInval
		m.immap.class = ClassIMmap
		if mi, ok := s.(MappingIniter); ok {
			mi.InitMapping(m)
		}
		fs.inodes = append(fs.inodes, ino)
	}
	if o.FlushInterval > 0 {
		fs.flusherStop = make(chan struct{})
		fs.flusherDone = make(chan struct{})
		go fs.flusher()
	}
	return fs, nil
}

// IOFallback is why the store's I/O runs a goroutine per I/O where io_uring
// was wanted (a file or device store on a kernel that refused a ring); nil
// otherwise.
func (fs *FS) IOFallback() error { return fs.queue.Fallback() }

// Name is the strategy's name.
func (fs *FS) Name() string { return fs.strategy.Name() }

// Strategy returns the strategy the filesystem runs.
func (fs *FS) Strategy() Strategy { return fs.strategy }

func (fs *FS) className(c LockClass) string {
	if c == ClassInval {
		return fs.strategy.InvalidateLockName()
	}
	return classNames[c]
}

// maxViolations is how many distinct violations an FS keeps.
const maxViolations = 100

// violation reports a violation once per key: msg formats it (stacks are
// formatted only here). Without OnViolation it panics.
func (fs *FS) violation(key string, msg func() string) {
	fs.violationMu.Lock()
	if fs.seen[key] {
		fs.violationMu.Unlock()
		return
	}
	if fs.seen == nil {
		fs.seen = map[string]bool{}
	}
	fs.seen[key] = true
	s := msg()
	if len(fs.violations) < maxViolations {
		fs.violations = append(fs.violations, s)
	} else {
		fs.dropped++
	}
	fs.violationMu.Unlock()
	if fs.opts.OnViolation == nil {
		panic(s)
	}
	fs.opts.OnViolation(s)
}

func (fs *FS) inode(file int) (*Inode, error) {
	if file < 0 || file >= len(fs.inodes) {
		return nil, fmt.Errorf("file %d: %w", file, ErrNoFile)
	}
	return fs.inodes[file], nil
}

// Size returns a file's size.
func (fs *FS) Size(file int) int64 { return fs.inodes[file].size.Load() }

// CachedPages is the number of pages in the page cache.
func (fs *FS) CachedPages() int64 { return fs.cache.nrPages.Load() }

// DirtyPages is the number of dirty pages.
func (fs *FS) DirtyPages() int64 { return fs.cache.nrDirty.Load() }

// LockStats merges the lock statistics of every task so far. They only grow:
// the runner subtracts a snapshot taken at the start of measurement.
func (fs *FS) LockStats() []LockStat {
	fs.tasksMu.Lock()
	defer fs.tasksMu.Unlock()
	var sum [numClasses][numSites][numModes]LockCount
	for _, t := range fs.tasks {
		for c := range t.locks {
			for s := range t.locks[c] {
				for m := range t.locks[c][s] {
					a, b := &sum[c][s][m], &t.locks[c][s][m]
					a.Acquisitions += b.acquisitions.Load()
					a.Contended += b.contended.Load()
					a.WaitNs += b.waitNs.Load()
					a.HoldNs += b.holdNs.Load()
					if t.hist == nil || c >= int(numCounted) {
						continue
					}
					h := &t.hist[c][s][m]
					if a.WaitHist == nil {
						a.WaitHist, a.HoldHist = make([]int64, HistBuckets), make([]int64, HistBuckets)
					}
					for i := range HistBuckets {
						a.WaitHist[i] += h.wait[i].Load()
						a.HoldHist[i] += h.hold[i].Load()
					}
				}
			}
		}
	}
	var out []LockStat
	for c := range sum {
		for s := range sum[c] {
			for m := range sum[c][s] {
				if lc := sum[c][s][m]; lc.Acquisitions > 0 {
					out = append(out, LockStat{Lock: fs.className(LockClass(c)), Site: Site(s).String(),
						Mode: Mode(m).String(), LockCount: lc})
				}
			}
		}
	}
	return out
}

// Violations returns the distinct lock-order violations reported so far, the
// first maxViolations of them and a last line counting the others.
func (fs *FS) Violations() []string {
	fs.violationMu.Lock()
	defer fs.violationMu.Unlock()
	out := append([]string(nil), fs.violations...)
	if fs.dropped > 0 {
		out = append(out, fmt.Sprintf("... and %d more distinct violations", fs.dropped))
	}
	return out
}

// Quiesce writes back every dirty page, waits for it, unmaps every mapping and
// drops the page cache, so the next read of any page goes to the store.
func (fs *FS) Quiesce() error {
	t := fs.NewTask()
	defer t.Close()
	t.opStart()
	for _, ino := range fs.inodes {
		if err := t.writebackRange(ino, 0, ino.maxPages, true); err != nil {
			return err
		}
	}
	for _, ino := range fs.inodes {
		m := &ino.Mapping
		t.unmapRange(m, 0, ino.maxPages)
		for i := uint64(0); i < ino.maxPages; i++ {
			fs.checkHit(m, i)
			if p := m.slots[i].page.Load(); p != nil && p != lockEntry {
				t.lockPage(p, SiteReclaim)
				if p.mapping == m && !p.dirty() {
					fs.cache.remove(p)
					t.retire(p.data.Load())
				}
				t.unlockPage(p, SiteReclaim)
			}
		}
	}
	return fs.store.Sync()
}

// checkHit reports, as a violation, a slot whose hit is not its page's data
// (see slot): a read would return stale or foreign data from it. Quiesce checks
// every slot before it drops the cache, with nothing else running.
func (fs *FS) checkHit(m *Mapping, i uint64) {
	h := m.slots[i].hit.Load()
	if h == nil {
		return
	}
	p := m.slots[i].page.Load()
	if p == nil || p == lockEntry || p.data.Load() != h {
		fs.violation(fmt.Sprintf("hit %d %d", m.host.ino, i), func() string {
			return fmt.Sprintf("page index: file %d page %d: the slot's hit data is not its page's data", m.host.ino, i)
		})
	}
}

// Check is fsck: every block a file maps must be allocated and mapped once, and
// every allocated block must be mapped. Run it after Quiesce.
func (fs *FS) Check() []string {
	var errs []string
	owner := map[uint64]string{}
	for _, ino := range fs.inodes {
		ino.bmapLock.RLock()
		for i, b := range ino.bmap {
			blk := b &^ unwrittenBit
			if blk == 0 {
				continue
			}
			here := fmt.Sprintf("file %d page %d", ino.ino, i)
			if prev, dup := owner[blk]; dup {
				errs = append(errs, fmt.Sprintf("block %d mapped twice: %s and %s", blk, prev, here))
			}
			owner[blk] = here
			if fs.alloc.IsFree(blk) {
				errs = append(errs, fmt.Sprintf("block %d of %s is free", blk, here))
			}
		}
		ino.bmapLock.RUnlock()
	}
	if used := fs.alloc.Used(); used != uint64(len(owner)) {
		var leaked []uint64
		for b := uint64(1); b <= fs.store.NumBlocks() && len(leaked) < 5; b++ {
			if _, ok := owner[b]; !ok && !fs.alloc.IsFree(b) {
				leaked = append(leaked, b)
			}
		}
		errs = append(errs, fmt.Sprintf("%d blocks allocated but %d mapped (leaked, e.g. %v)", used, len(owner), leaked))
	}
	sort.Strings(errs)
	return errs
}

// Close stops the flusher, waits for the I/O in flight and releases the
// store's request queue. It does not close the store.
func (fs *FS) Close() error {
	if fs.flusherStop != nil {
		close(fs.flusherStop)
		<-fs.flusherDone
		fs.flusherStop = nil
	}
	fs.queue.Close()
	return nil
}
