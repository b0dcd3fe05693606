package vfs

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/results"
)

// LockClass is a kind of lock, as lockdep sees it: every inode's i_rwsem is one class.
//
// There is no class for the page index (the kernel's i_pages xa_lock): the
// model's index is lock-free (slots change by compare-and-swap, lookups load),
// so nothing can wait on it. The LRU lock, the block-map lock and the writeback
// wait lock are leaves: nothing is acquired while they are held, so no cycle can
// pass through them, and they are not instrumented.
type LockClass uint8

const (
	ClassIRwsem LockClass = iota
	ClassMmapLock
	ClassInval
	ClassPage
	ClassIMmap
	ClassPTL
	numClasses
)

// rank is the position of each class in the lock order of the package doc.
var rank = [numClasses]int{
	ClassIRwsem:   1,
	ClassMmapLock: 2,
	ClassInval:    3,
	ClassPage:     4,
	ClassIMmap:    5,
	ClassPTL:      6,
}

var classNames = [numClasses]string{"i_rwsem", "mmap_lock", "invalidate_lock", "page_lock", "i_mmap_rwsem", "ptl"}

// String is the class's name in lock tables (the invalidation lock under its
// generic name; a strategy may name it otherwise: Strategy.InvalidateLockName).
func (c LockClass) String() string { return classNames[c] }

// numCounted are the classes lock statistics are kept for: i_mmap_rwsem and ptl
// are tracked for the order, not counted.
const numCounted = ClassIMmap

// Mode is how a lock is held.
type Mode uint8

const (
	Shared Mode = iota
	Exclusive
	numModes
)

func (m Mode) String() string {
	if m == Exclusive {
		return "exclusive"
	}
	return "shared"
}

// Site is a hook point of the model (docs/design.md section 4) and the call site that
// lock statistics are kept by.
type Site uint8

const (
	SiteReadEntry   Site = iota // ->read_iter: the whole buffered read, copy-out included
	SiteReadBatch               // filemap_get_pages: look up, create and fill one batch
	SitePageCreate              // filemap_create_folio: allocate, insert, map, read one page
	SitePageInsert              // add_to_page_cache_lru: the insertion of one locked page
	SitePageUpdate              // filemap_update_page: bring a cached page uptodate
	SiteReadahead               // page_cache_ra_unbounded: one readahead window
	SiteAdvise                  // fadvise/madvise(WILLNEED)
	SiteFault                   // ->fault: the whole filemap_fault
	SiteFaultCreate             // filemap_fault, page missing or not uptodate
	SiteMkwrite                 // ->page_mkwrite
	SiteWrite                   // ->write_iter
	SitePunch                   // ->fallocate(PUNCH_HOLE)
	SiteTruncate                // ->setattr(size)
	SiteZero                    // ->fallocate(ZERO_RANGE)
	SiteFaultAround             // ->map_pages / filemap_map_pages: fault-around
	SiteWriteback               // ->writepages (model only)
	SiteReclaim                 // shrinker (model only)
	numSites
)

var siteNames = [numSites]string{"read_entry", "read_batch", "page_create", "page_insert", "page_update",
	"readahead", "advise", "fault", "fault_create", "page_mkwrite", "write", "punch", "truncate",
	"zero_range", "fault_around", "writeback", "reclaim"}

func (s Site) String() string { return siteNames[s] }

// Sites lists the hook points in order.
func Sites() []Site {
	s := make([]Site, numSites)
	for i := range s {
		s[i] = Site(i)
	}
	return s
}

// lock takes l at site in mode m for t, accounting for the wait (the rules are
// RWSem's). A reader that steals the lock past its failed fast path did not
// wait, and is not counted as contended; a writer's spin is part of its wait.
func (l *RWSem) lock(t *Task, site Site, m Mode) {
	var wait time.Duration
	if m == Exclusive {
		if !l.writeFast(t) {
			wait = t.contend(l, l.class, site, m, func() { l.writeSlow(t) })
		}
	} else if c, ok := l.readFast(); !ok && !l.readSteal(c) {
		wait = t.contend(l, l.class, site, m, l.readQueue)
	}
	t.acquired(l, l.class, site, m, wait)
}

// trylock takes the lock only if it is free. A trylock cannot deadlock, so it
// adds nothing to the lock order (as in lockdep).
func (l *RWSem) trylock(t *Task, site Site, m Mode) bool {
	var ok bool
	if m == Exclusive {
		ok = l.tryDownWrite(t)
	} else {
		ok = l.tryDownRead()
	}
	if !ok {
		t.locks[l.class][site][m].contended.Add(1)
		return false
	}
	t.record(l, l.class, site, m, 0, false)
	return true
}

func (l *RWSem) unlock(t *Task, site Site, m Mode) {
	t.released(l, l.class, site, m)
	if m == Exclusive {
		l.upWrite()
	} else {
		l.upRead(t != nil && t.ioSlept)
	}
}

// LockCounters are one task's lock statistics, by class, site and mode. Only the
// owning task writes them, so they need no atomics and cause no cache-line traffic.
type LockCounters [numClasses][numSites][numModes]lockCount

// HistBuckets is the number of buckets of a wait or hold histogram: bucket 0
// counts durations of 0 ns, bucket i > 0 those of [2^(i-1), 2^i) ns (the last
// also everything longer, from about 17 s). The buckets are the results file's
// (results.HistBucket), which the real kernel's lock table shares.
const HistBuckets = results.HistBuckets

// histBucket is the bucket of a duration.
func histBucket(d time.Duration) int { return results.HistBucket(int64(d)) }

// LockCount is the use of one lock class at one site in one mode.
type LockCount struct {
	Acquisitions, Contended int64
	WaitNs, HoldNs          int64
	// WaitHist counts the timed waits (contended acquisitions, with LockTiming)
	// and HoldHist the timed holds, in HistBuckets log2 buckets of nanoseconds;
	// nil without LockTiming. An acquisition that did not wait is in no wait
	// bucket: Acquisitions minus the sum of WaitHist waited 0 ns.
	WaitHist, HoldHist []int64
}

// lockCount is LockCount as the owning task updates it: atomics, so that the
// runner can read a live snapshot; they never leave the task's cache lines.
type lockCount struct {
	acquisitions, contended atomic.Int64
	waitNs, holdNs          atomic.Int64
}

// lockHist are one task's wait and hold histograms, allocated with LockTiming.
type lockHist [numCounted][numSites][numModes]struct {
	wait, hold [HistBuckets]atomic.Int64
}

// LockStat is one row of merged lock statistics.
type LockStat struct {
	Lock, Site, Mode string
	LockCount
}

// held is one lock a task holds, kept when validation or hold timing is on.
type held struct {
	lock  any
	class LockClass
	site  Site
	mode  Mode
	since int64     // when it was taken, on the FS's clock (lock timing only)
	stack []uintptr // where it was taken (validation only); formatted only for a report
}

// contend waits for a lock l that was not free and accounts for the wait. With
// validation the acquisition is checked before the task waits (see before);
// with tracking, the watchdog can see what the task waits for (Held).
func (t *Task) contend(l any, c LockClass, site Site, m Mode, wait func()) time.Duration {
	t.locks[c][site][m].contended.Add(1)
	if t.tracking {
		t.before(l, c, site, m)
		t.heldMu.Lock()
		t.waiting, t.waitFor = true, held{class: c, site: site, mode: m}
		t.heldMu.Unlock()
		defer func() {
			t.heldMu.Lock()
			t.waiting = false
			t.heldMu.Unlock()
		}()
	}
	// Off CPU while it waits, for writers spinning on a lock t holds.
	t.offCPU.Store(true)
	defer t.offCPU.Store(false)
	t.slept()
	if !t.fs.opts.LockTiming {
		wait()
		return 0
	}
	clk := t.fs.opts.Clock
	start := clk.Now()
	wait()
	return time.Duration(clk.Now() - start)
}

// before validates a blocking acquisition of l before the task waits for it, as
// lockdep does, so that a wait that never ends (the deadlock the validator
// warns of) does not take the report with it. An acquisition that did not have
// to wait is validated once it has the lock (acquired), which is the same check:
// the task's context is validated once.
func (t *Task) before(l any, c LockClass, site Site, m Mode) {
	if !t.validating {
		return
	}
	h := held{lock: l, class: c, site: site, mode: m}
	t.checkAcquire(&h, true)
}

// acquired records a blocking acquisition and, with validation on, checks it
// (see validate).
func (t *Task) acquired(l any, c LockClass, site Site, m Mode, wait time.Duration) {
	t.record(l, c, site, m, wait, true)
}

// record counts an acquisition and, when the task tracks its locks, adds it to
// the held list; check is false for a trylock, which cannot deadlock and so is
// not checked against the lock order (as in lockdep), though locks taken under
// it are. With tracking off (no validation, no lock timing) the cost beyond the
// counter is one test of a bool.
func (t *Task) record(l any, c LockClass, site Site, m Mode, wait time.Duration, check bool) {
	if c < numCounted {
		lc := &t.locks[c][site][m]
		lc.acquisitions.Add(1)
		if wait != 0 {
			lc.waitNs.Add(int64(wait))
			if t.hist != nil {
				t.hist[c][site][m].wait[histBucket(wait)].Add(1)
			}
		}
	}
	if !t.tracks(c) {
		return
	}
	h := held{lock: l, class: c, site: site, mode: m}
	if t.fs.opts.LockTiming && c < numCounted {
		h.since = t.fs.opts.Clock.Now()
	}
	if t.validating {
		t.checkAcquire(&h, check)
	}
	t.heldMu.Lock()
	t.held = append(t.held, h)
	t.heldMu.Unlock()
}

// tracks reports whether the task keeps class c on its held list: every class
// when validating; with lock timing alone, only the counted classes, whose hold
// time it measures.
func (t *Task) tracks(c LockClass) bool {
	return t.validating || t.tracking && c < numCounted
}

func (t *Task) released(l any, c LockClass, site Site, m Mode) {
	if !t.tracks(c) {
		return
	}
	for i := len(t.held) - 1; i >= 0; i-- {
		h := t.held[i]
		if h.lock != l {
			continue
		}
		if t.fs.opts.LockTiming && h.class < numCounted {
			d := time.Duration(t.fs.opts.Clock.Now() - h.since)
			t.locks[h.class][h.site][h.mode].holdNs.Add(int64(d))
			t.hist[h.class][h.site][h.mode].hold[histBucket(d)].Add(1)
		}
		t.heldMu.Lock()
		t.held = append(t.held[:i], t.held[i+1:]...)
		t.heldMu.Unlock()
		return
	}
	t.fs.violation("release:"+classNames[c]+site.String(), func() string {
		return fmt.Sprintf("release of %s at %s that the task does not hold", t.fs.className(c), site)
	})
}

// Held describes the locks the task holds and the one it waits for, for the
// watchdog, which calls it from another goroutine while the task is stuck.
func (t *Task) Held() string {
	if !t.tracking {
		return "(not tracked: lock timing and validation are off)"
	}
	t.heldMu.Lock()
	defer t.heldMu.Unlock()
	var b strings.Builder
	for _, h := range t.held {
		fmt.Fprintf(&b, "%s (%s) at %s; ", t.fs.className(h.class), h.mode, h.site)
	}
	if t.waiting {
		fmt.Fprintf(&b, "waits for %s (%s) at %s", t.fs.className(t.waitFor.class), t.waitFor.mode, t.waitFor.site)
	}
	return b.String()
}

// lockPage takes a page lock, waiting for it.
func (t *Task) lockPage(p *Page, site Site) {
	var wait time.Duration
	if !p.lock.TryLock() {
		wait = t.contend(p, ClassPage, site, Exclusive, p.lock.Lock)
		t.ioSlept = true // the page's holder is, nearly always, its I/O
	}
	t.acquired(p, ClassPage, site, Exclusive, wait)
}

// trylockPage takes a page lock only if it is free.
func (t *Task) trylockPage(p *Page, site Site) bool {
	if !p.lock.TryLock() {
		return false
	}
	t.record(p, ClassPage, site, Exclusive, 0, false)
	return true
}

func (t *Task) unlockPage(p *Page, site Site) {
	t.released(p, ClassPage, site, Exclusive)
	p.lock.Unlock()
}

// plain mutexes that rank among the instrumented locks (i_mmap_rwsem, ptl).
type rankedMutex struct {
	mu    sync.RWMutex // the lock itself: it guards what its class names (a vma tree, page table entries)
	class LockClass
}

func (l *rankedMutex) lock(t *Task, site Site, m Mode) {
	if m == Exclusive {
		if !l.mu.TryLock() {
			t.before(l, l.class, site, m)
			l.mu.Lock()
		}
	} else if !l.mu.TryRLock() {
		t.before(l, l.class, site, m)
		l.mu.RLock()
	}
	if t.tracking {
		t.acquired(l, l.class, site, m, 0)
	}
}

func (l *rankedMutex) unlock(t *Task, site Site, m Mode) {
	if t.tracking {
		t.released(l, l.class, site, m)
	}
	if m == Exclusive {
		l.mu.Unlock()
	} else {
		l.mu.RUnlock()
	}
}

// callers records the stack of the caller of the function skip frames up
// cheaply: program counters only, formatted only for a report.
func callers(skip int) []uintptr {
	pc := make([]uintptr, 16)
	return pc[:runtime.Callers(skip+2, pc)]
}

func formatStack(pc []uintptr) string {
	frames := runtime.CallersFrames(pc)
	var b strings.Builder
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "\n\t%s:%d", f.Function, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}
