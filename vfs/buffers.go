package vfs

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rwbench/rwbench/blockdev"
)

// Page buffers are recycled after a grace period, as the kernel frees a folio
// only after an RCU grace period and its last reference: a buffer that left
// the cache (its page removed, or new data published over it) may still be
// being copied by a reader that loaded it without a lock, so it is reused only
// once every task that could have loaded it has finished the operation it was
// in. The scheme is quiescent-state based (QSBR, the non-preemptible kernel's
// RCU): a task reports a quiescent state at the end of each exported
// operation (Read, Write, FaultRead, ...), one atomic add, and nothing at the
// start of one. Retired buffers are sealed in batches with a snapshot of every
// task's state; a batch is reusable when every task in the snapshot has since
// ended an operation or was offline (between operations and said so: a new
// task, the flusher asleep, a closed task).
//
// Buffers come in slabs of retireBatch, allocated when the pool has none past
// its grace period, and stay with the filesystem, so a read or a write makes no
// garbage. (Leaving old buffers to the garbage collector made it run many times
// a second, at 20% of the CPU, to hold the heap near the cache size.)
//
// The pool is bounded: the cache's pages, a slack of 1/32 of them, and two
// batches per task (its spare and its retired buffers). A task in one long
// operation stalls grace periods (a reader preempted in a read: four tasks
// share two CPUs), and meanwhile a writer writing over cached pages retires a
// buffer per page at up to a million pages a second, so an unbounded pool grew
// by tens of MiB over a run, to the largest such burst. At the bound, a task
// that needs buffers yields the CPU until the oldest sealed batch passes, which
// lets a preempted task run to the end of its operation: memory pressure
// throttles the writer, as direct reclaim does in the kernel. If the batch has
// not passed after maxThrottle (the stalled task waits for a lock, say), or
// only the taker itself holds it up, the task gets loose buffers, allocated
// one by one and left to the garbage collector when they are retired (the
// collector keeps a loose buffer alive for as long as a reader can still load
// it, so it needs no grace period). Which buffers are the pool's is told by
// the slabs' addresses.
//
// A wait is the model's own cost inside the op that waits, so it is short:
// yielding to a preempted task takes microseconds when it works, and with
// `irwsem` (a writer asleep on i_rwsem holds grace periods up for as long as
// the readers hold it) a 1ms wait made the tasks of the quick config wait
// 106ms a second in all; 200µs keeps that to a third and the memory bound
// (the 10-minute run's peak) where it was.

const (
	retireBatch = 64 // buffers per slab and per sealed batch
	slabBytes   = retireBatch * PageSize
	looseBatch  = 8 // loose buffers handed out at a time
	// maxThrottle is how long a task at the pool's bound waits for a grace
	// period before it takes loose buffers (see above).
	maxThrottle = 200 * time.Microsecond
	// qsOffline is the low bit of a task's state: set between operations by
	// tasks that may stay idle; the rest counts ended operations (by 2).
	qsOffline = 1
)

// qsState is a task's quiescent-state word, on its own cache line: its owner
// writes it once per operation, the pool reads it when it checks a batch.
type qsState struct {
	_     [64]byte
	state atomic.Uint64
	_     [56]byte
}

// sealedBatch is a batch of retired buffers and the task states when it was
// sealed (after the buffers were unpublished).
type sealedBatch struct {
	bufs   []*[PageSize]byte
	tasks  []*qsState
	states []uint64
}

// heldUp reports whether a task other than except (nil for none) that was in
// an operation when b was sealed still is: b has not passed. A task at the
// pool's bound waits only for a batch held up by others (heldUp(self)): one
// that only it holds up would never pass while it waits.
func (b *sealedBatch) heldUp(except *qsState) bool {
	for i, q := range b.tasks {
		if v := b.states[i]; q != except && v&qsOffline == 0 && q.state.Load() == v {
			return true
		}
	}
	return false
}

// bufferPool is the filesystem's pool of page buffers past their grace period.
type bufferPool struct {
	mu     sync.Mutex // guards every field below
	tasks  []*qsState // online or offline; removed at Close
	sealed []*sealedBatch
	free   [][]*[PageSize]byte // batches ready for reuse
	slabs  int                 // slabs allocated
	bases  []uintptr           // the slabs' first bytes, sorted: which buffers are the pool's
	bound  int                 // slabs the pool may hold besides two per task
	// orphans are buffers retired outside any task (see retireOrphans), sealed
	// once there is a batch of them.
	orphans []*[PageSize]byte
	stats   PoolStats
}

// PoolStats says how the page buffer pool met the demand: see [FS.PoolStats].
type PoolStats struct {
	Slabs     int   // slabs of 64 buffers allocated
	Throttled int64 // takes at the bound that waited for a grace period
	Loose     int64 // buffers allocated one by one at the bound, left to the collector
}

// init bounds the pool for a cache of cachePages pages.
func (bp *bufferPool) init(cachePages int64) {
	slabs := int((cachePages + retireBatch - 1) / retireBatch)
	bp.bound = slabs + max(slabs/32, 4)
}

func (bp *bufferPool) register(q *qsState) {
	q.state.Store(qsOffline)
	bp.mu.Lock()
	bp.tasks = append(bp.tasks, q)
	bp.mu.Unlock()
}

func (bp *bufferPool) unregister(q *qsState) {
	q.state.Store((q.state.Load() + 2) | qsOffline) // it has passed every batch sealed so far
	bp.mu.Lock()
	for i, x := range bp.tasks {
		if x == q {
			bp.tasks = append(bp.tasks[:i], bp.tasks[i+1:]...)
			break
		}
	}
	bp.mu.Unlock()
}

// seal queues a full batch of retired buffers with a snapshot of the tasks.
// The caller unpublished them before (program order, sequentially consistent
// atomics): a task whose state changes after the snapshot ended the operation
// in which it could have loaded them, and later operations load what replaced
// them.
func (bp *bufferPool) seal(bufs []*[PageSize]byte) {
	bp.mu.Lock()
	if bufs = bp.keepPooled(bufs); len(bufs) == 0 {
		bp.mu.Unlock()
		return
	}
	b := &sealedBatch{bufs: bufs, tasks: make([]*qsState, len(bp.tasks)), states: make([]uint64, len(bp.tasks))}
	copy(b.tasks, bp.tasks)
	for i, q := range b.tasks {
		b.states[i] = q.state.Load()
	}
	bp.sealed = append(bp.sealed, b)
	bp.mu.Unlock()
}

// retireOrphans retires buffers that no task retires: those published over
// while their page was under writeback, retired when the write completes. They
// are sealed in whole batches, as a task's are, so that the pool hands out
// whole batches.
func (bp *bufferPool) retireOrphans(bufs []*[PageSize]byte) {
	bp.mu.Lock()
	bp.orphans = append(bp.orphans, bufs...)
	var full []*[PageSize]byte
	if len(bp.orphans) >= retireBatch {
		full, bp.orphans = bp.orphans, nil
	}
	bp.mu.Unlock()
	if full != nil {
		bp.seal(full)
	}
}

// giveBack returns buffers that were never published to the free list.
func (bp *bufferPool) giveBack(bufs []*[PageSize]byte) {
	if len(bufs) == 0 {
		return
	}
	bp.mu.Lock()
	if bufs = bp.keepPooled(bufs); len(bufs) > 0 {
		bp.free = append(bp.free, bufs)
	}
	bp.mu.Unlock()
}

// keepPooled drops the loose buffers of bufs (to the collector) and returns the
// rest, in place. bp.mu is held.
func (bp *bufferPool) keepPooled(bufs []*[PageSize]byte) []*[PageSize]byte {
	kept := bufs[:0]
	for _, b := range bufs {
		a := uintptr(unsafe.Pointer(b))
		i, found := slices.BinarySearch(bp.bases, a)
		if found || i > 0 && a-bp.bases[i-1] < slabBytes {
			kept = append(kept, b)
		}
	}
	clear(bufs[len(kept):])
	return kept
}

// take returns a batch of buffers past their grace period or a new slab; at
// the pool's bound it waits up to maxThrottle for a grace period (yielding the
// CPU to the tasks that hold it up), then returns loose buffers. self is the
// taking task's state (nil for none): it does not wait for itself.
func (bp *bufferPool) take(self *qsState) []*[PageSize]byte {
	var deadline time.Time
	for {
		bp.mu.Lock()
		if bufs := bp.reuse(); bufs != nil {
			bp.mu.Unlock()
			return bufs
		}
		if bp.slabs < bp.bound+2*len(bp.tasks) {
			bufs, base := newSlab()
			i, _ := slices.BinarySearch(bp.bases, base)
			bp.bases = slices.Insert(bp.bases, i, base)
			bp.slabs++
			bp.stats.Slabs = bp.slabs
			bp.mu.Unlock()
			return bufs
		}
		if len(bp.sealed) == 0 || !bp.sealed[0].heldUp(self) ||
			!deadline.IsZero() && time.Now().After(deadline) {
			bp.stats.Loose += looseBatch
			bp.mu.Unlock()
			return newLoose()
		}
		if deadline.IsZero() {
			bp.stats.Throttled++
			deadline = time.Now().Add(maxThrottle)
		}
		bp.mu.Unlock()
		runtime.Gosched()
	}
}

// reuse returns a batch of buffers past their grace period, or nil. bp.mu is
// held.
func (bp *bufferPool) reuse() []*[PageSize]byte {
	for len(bp.sealed) > 0 && !bp.sealed[0].heldUp(nil) {
		bp.free = append(bp.free, bp.sealed[0].bufs)
		bp.sealed[0] = nil
		bp.sealed = bp.sealed[1:]
	}
	n := len(bp.free)
	if n == 0 {
		return nil
	}
	bufs := bp.free[n-1]
	bp.free[n-1] = nil
	bp.free = bp.free[:n-1]
	return bufs
}

// newSlab allocates retireBatch page buffers in one object and returns them
// and the object's address. The Go allocator places an object this large on a
// page boundary, so every buffer is aligned for O_DIRECT; the check keeps us
// honest if that changes.
func newSlab() ([]*[PageSize]byte, uintptr) {
	slab := make([]byte, slabBytes)
	if uintptr(unsafe.Pointer(&slab[0]))%PageSize != 0 {
		slab = blockdev.AlignedBuffer(slabBytes)
	}
	bufs := make([]*[PageSize]byte, retireBatch)
	for i := range bufs {
		bufs[i] = (*[PageSize]byte)(slab[i*PageSize : (i+1)*PageSize])
	}
	return bufs, uintptr(unsafe.Pointer(&slab[0]))
}

// newLoose allocates looseBatch page buffers one by one. A 4KiB object is in a
// size class whose objects are 4KiB-aligned; the check keeps us honest.
func newLoose() []*[PageSize]byte {
	bufs := make([]*[PageSize]byte, looseBatch)
	for i := range bufs {
		b := new([PageSize]byte)
		if uintptr(unsafe.Pointer(b))%PageSize != 0 {
			b = (*[PageSize]byte)(blockdev.AlignedBuffer(PageSize))
		}
		bufs[i] = b
	}
	return bufs
}

// PoolStats returns how the page buffer pool met the demand so far: the
// filesystem's page memory is Slabs * 64 pages, plus the loose buffers still
// referenced.
func (fs *FS) PoolStats() PoolStats {
	fs.buffers.mu.Lock()
	defer fs.buffers.mu.Unlock()
	return fs.buffers.stats
}

// pageBuffer returns a page buffer for new page data: a recycled one (its old
// contents are garbage: every caller overwrites the whole page) or a new one.
func (t *Task) pageBuffer() *[PageSize]byte {
	if len(t.spare) == 0 {
		t.spare = t.fs.buffers.take(&t.qs)
	}
	n := len(t.spare)
	b := t.spare[n-1]
	t.spare[n-1] = nil
	t.spare = t.spare[:n-1]
	return b
}

// retire hands back a buffer that is no longer published (replaced or its page
// removed); it is reused after a grace period.
func (t *Task) retire(b *[PageSize]byte) {
	if b == nil || b == zeroPage {
		return
	}
	t.retired = append(t.retired, b)
	if len(t.retired) == retireBatch {
		t.fs.buffers.seal(t.retired)
		t.retired = make([]*[PageSize]byte, 0, retireBatch)
	}
}

// opDone ends an operation: every exported operation calls it on return.
func (t *Task) opDone() { t.quiescent() }

// quiescent reports a quiescent state: the task holds no page buffer it loaded
// before, and will not use one. The end of an operation is one; writeback is
// another after each run it submits, so that the flusher's long passes do not
// stall grace periods.
func (t *Task) quiescent() { t.qs.state.Add(2) }

// opStart brings a task that was offline back online before it loads anything.
func (t *Task) opStart() {
	t.ioSlept = false
	if t.qs.state.Load()&qsOffline != 0 {
		t.qs.state.And(^uint64(qsOffline))
	}
}

// offline says the task is between operations and may stay there: grace
// periods do not wait for it until its next operation.
func (t *Task) offline() { t.qs.state.Or(qsOffline) }

// Idle says the task is between operations and may stay there a while (a
// paced worker waiting for its next op): grace periods do not wait for it, and
// its next operation brings it back. A task that only pauses briefly between
// operations need not say so: the end of its next one passes the grace period.
func (t *Task) Idle() { t.offline() }
