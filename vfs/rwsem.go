package vfs

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// RWSem is the model's rw_semaphore, with the rules of Linux 6.6's
// kernel/locking/rwsem.c: i_rwsem, mmap_lock and every strategy's invalidation
// lock are one. Go's sync.RWMutex is kinder to readers (a reader waits behind
// at most one writer, readers and writers strictly alternate); mixed
// read/write contention is decided by the rules below, so the model follows
// the kernel's.
//
// The lock word (count) is the kernel's: bit 0 a writer holds the lock, bit 1
// the wait queue is not empty, bit 2 the handoff bit, bits 8 and up the number
// of readers (holders, and readers between their fast path and the queue).
//
//   - One FIFO wait queue for readers and writers. A wake-up looks at its
//     head: a writer there is woken alone, and retries for the lock itself; a
//     reader there is granted the lock by the waker together with up to 256
//     other readers of the queue (MAX_READERS_WAKEUP), those behind queued
//     writers included (the kernel's phase-fair reader phase). Readers behind a
//     writer at the head are not woken.
//   - The reader fast path is one atomic add of a reader bias; it fails whenever
//     a writer holds the lock, anyone waits, or the handoff bit is set. So a
//     reader arriving while readers hold the lock and a writer waits queues
//     behind that writer.
//   - A reader whose fast path failed keeps the lock without queueing if no
//     writer holds it, no handoff is pending and it is the only reader (the
//     kernel's reader lock stealing, which it skips when other readers hold
//     the lock so as not to starve the writer they block). The kernel judges
//     "other readers hold it" from the owner field, which readers write; here the
//     reader count alone judges, so the reader fast path stays one atomic op.
//   - A writer whose fast path (compare-and-swap from free) failed spins on the
//     owner and takes the lock whenever it is free and no handoff is pending,
//     ahead of sleeping waiters and whether or not anyone waits: lock stealing.
//     A woken writer likewise retries and may find the lock stolen.
//   - A reader that slept on I/O in its operation and, as the last reader out,
//     wakes the writer at the head of the queue lets that writer retry before
//     any reader steals the lock again (writerWoken). This is a rule of
//     timing, not of rwsem.c: the kernel's woken writer sleeps inside its
//     system call and takes the free lock as soon as its CPU runs it, while
//     the reader that slept returns to user space and comes back with its next
//     read (on the real filesystems' runs the reader is a goroutine whose
//     blocking system call gave up its P, which it must get back first); in Go
//     the woken writer waits in the releasing reader's run queue until that
//     reader blocks, so the reader came back first, stole the lock and began
//     a new reader phase. Real XFS's readers wait for i_rwsem in 79-85% of
//     their reads on configs/fidelity.yaml's cold-mixed phase (the model's
//     irwsem readers, with this rule, in 99%); without it 47% of the model's
//     irwsem readers took it without waiting. A reader that did not sleep (a
//     cache hit) may still steal: XFS's readers of a cached file wait in 2%
//     of their reads.
//   - After RWSEM_WAIT_TIMEOUT (4 ms) a first waiter that finds the lock taken
//     sets the handoff bit; from then on no one steals (the fast paths, reader
//     stealing and writer spinning all fail on it), and the next release hands
//     the lock to that waiter. A writer waiting less than that never sets it.
//
// Spinning. The kernel's writer spins while the owner is on a CPU, since the
// lock will then be free within the owner's critical section, sooner than a
// sleep and a wake-up. The model has 16 or more goroutines on 2 cores here, so
// a long busy wait mostly takes the CPU from the owner it waits for, and a
// spin that yields (runtime.Gosched) is worse: with the CPUs busy the yielder
// goes to the back of the global run queue and may not run again for a time
// slice (10 ms), far longer than any wait it meant to shorten (measured: a
// writer spinning 8 Gosched rounds against 6 busy readers waited up to 0.6 s).
// So the spin never yields: it is a busy poll of the lock word, made only while
// a writer that is running holds the lock, for at most writerSpinTime (50 us,
// longer than a buffered write's hold, p99 4-65 us): it stops when the owner is
// blocked waiting for another lock (Task.offCPU; I/O inside the critical
// section counts as running, the model does not see it), when readers hold the
// lock (the kernel spins on readers for a bounded time, 25 us and more; here a
// reader's critical section is a whole read, so the poll would only burn the
// CPU), and when the handoff bit is set. That keeps the rule that decides
// mixed read/write: writers pass the lock from one to the next by spinning
// while the readers queued behind them sleep until the handoff (real XFS
// under 8 readers and 8 writers: read waits p50 ~4 ms, the handoff time, write
// waits p50 ~5 us). A poll of under a microsecond, tried first, let the queue
// alternate reader and writer phases instead: model irwsem read at 1.33x of
// invalidate on the cold mixed workload where real XFS reads at 0.16x of ext4.
// The first waiter that set the handoff bit does not
// spin (the kernel's does, on a running writer owner); it sleeps until the
// release wakes it.
//
// Wake-ups. Go runs a woken goroutine only when its waker's P next schedules,
// while the kernel's woken task runs soon on another CPU or preempts its
// waker. Until its wait timeout that difference does not matter: the woken
// writer retries, finds the lock taken again by the writer that released it
// (back from user space within microseconds, it takes the free lock through
// its slow path, ahead of the queue), and sleeps again; that is how writers
// keep a contended i_rwsem among themselves while the readers queued behind
// them wait for the handoff (RWSemWaitTimeout). Once the woken writer is due
// to set the handoff bit it must get to run, so a waker that woke such a
// writer yields (wakeUp). Yielding on every wake-up instead let queued readers
// in at almost every release (no reader ever set the handoff bit): model
// irwsem read at 0.75x of invalidate on the cold mixed workload of
// configs/fidelity.yaml, against 0.26x with this rule and 0.16x for real XFS
// against ext4 (measured at commit 5a29290, with a goroutine per I/O).
//
// Not modelled: the osq queue of spinners (spinners race for the lock word),
// the nonspinnable bits, RT tasks, signals and killable waits, downgrade.
type RWSem struct {
	count atomic.Int64
	// owner is the task holding the lock exclusive, or nil (readers do not
	// write it); spinning writers read it to see whether the owner is running.
	owner atomic.Pointer[Task]
	// waitMu guards waiters and the waiters' fields (the kernel's wait_lock).
	waitMu  sync.Mutex
	waiters []*rwWaiter // FIFO
	class   LockClass
	// writerWoken is set, under waitMu, when a reader that slept on I/O wakes
	// the writer at the head, and cleared when that writer retries: readers do
	// not steal the lock meanwhile (see RWSem).
	writerWoken atomic.Bool
}

// The lock word's bits (RWSEM_*).
const (
	rwWriter     int64 = 1 << 0 // RWSEM_WRITER_LOCKED
	rwWaiters    int64 = 1 << 1 // RWSEM_FLAG_WAITERS
	rwHandoff    int64 = 1 << 2 // RWSEM_FLAG_HANDOFF
	rwReader     int64 = 1 << 8 // RWSEM_READER_BIAS
	rwReaderMask       = ^(rwReader - 1)
	rwLockMask         = rwWriter | rwReaderMask
	rwReadFailed       = rwWriter | rwWaiters | rwHandoff
)

const (
	// RWSemWaitTimeout is RWSEM_WAIT_TIMEOUT: how long the first waiter lets
	// others steal the lock before it sets the handoff bit.
	RWSemWaitTimeout = 4 * time.Millisecond
	// MaxReadersWakeup is MAX_READERS_WAKEUP: the most readers one wake-up grants.
	MaxReadersWakeup = 256
	// writerSpins bounds a writer's optimistic spin, in polls of the lock word
	// (see RWSem).
	writerSpins = 64
	// writerSpinTime bounds a writer's optimistic spin on a running writer,
	// checked every writerSpins polls, and writerSpinPolls bounds it in polls.
	writerSpinTime  = 50 * time.Microsecond
	writerSpinPolls = 1 << 17
)

// rwWaiter is a task in the wait queue (struct rwsem_waiter). A waiter is made
// for one wait and dropped after it, so a stale wake-up token is never seen.
type rwWaiter struct {
	write      bool
	timeout    time.Time // when it may set the handoff bit
	handoffSet bool      // it set (or inherited) the handoff bit
	// wake gets a token when a reader is granted the lock or a writer should
	// retry; buffered, so a wake-up before the waiter sleeps is kept.
	wake chan struct{}
}

func newRWWaiter(write bool) *rwWaiter {
	return &rwWaiter{write: write, timeout: time.Now().Add(RWSemWaitTimeout), wake: make(chan struct{}, 1)}
}

// wakeKind is enum rwsem_wake_type.
type wakeKind uint8

const (
	wakeAny       wakeKind = iota // wake whatever is at the head
	wakeReaders                   // wake readers only
	wakeReadOwned                 // wake readers; the waker holds the lock shared
)

// readFast is the reader fast path (rwsem_read_trylock): one atomic add. It
// returns the lock word after the add; the lock is held iff ok.
func (l *RWSem) readFast() (c int64, ok bool) {
	c = l.count.Add(rwReader)
	return c, c&rwReadFailed == 0
}

// readSteal is the start of rwsem_down_read_slowpath: the reader whose fast
// path returned c keeps the lock if it may steal it (see RWSem). On false the
// reader's bias is still in the count and it must call readQueue.
func (l *RWSem) readSteal(c int64) bool {
	if c>>8 > 1 && c&rwWriter == 0 {
		return false // other readers hold it: queue behind the waiting writer
	}
	if c&(rwWriter|rwHandoff) != 0 || l.writerWoken.Load() {
		return false
	}
	if c>>8 == 1 && c&rwWaiters != 0 {
		// The first reader in: take the readers at the head with it.
		l.waitMu.Lock()
		var wq []*rwWaiter
		if len(l.waiters) > 0 {
			wq = l.markWake(wakeReadOwned, wq)
		}
		l.waitMu.Unlock()
		wakeUp(wq)
	}
	return true
}

// readQueue queues the reader and sleeps until a waker grants it the lock.
func (l *RWSem) readQueue() {
	adj := -rwReader
	w := newRWWaiter(false)
	l.waitMu.Lock()
	if len(l.waiters) == 0 {
		// No one waits and no writer holds it: the bias taken in the fast
		// path is the lock.
		if l.count.Load()&rwWriter == 0 {
			l.waitMu.Unlock()
			return
		}
		adj += rwWaiters
	}
	l.waiters = append(l.waiters, w)
	c := l.count.Add(adj)
	wq := l.condWake(c, nil)
	l.waitMu.Unlock()
	wakeUp(wq)
	<-w.wake
}

// downRead takes the lock shared, waiting as long as it must.
func (l *RWSem) downRead() {
	if c, ok := l.readFast(); !ok && !l.readSteal(c) {
		l.readQueue()
	}
}

// tryDownRead is down_read_trylock: it fails whenever the fast path would.
func (l *RWSem) tryDownRead() bool {
	c := l.count.Load()
	for c&rwReadFailed == 0 {
		if l.count.CompareAndSwap(c, c+rwReader) {
			return true
		}
		c = l.count.Load()
	}
	return false
}

// upRead is up_read: the last reader out wakes the queue. ioSlept says the
// reader slept on I/O in its operation (see RWSem: writerWoken).
func (l *RWSem) upRead(ioSlept bool) {
	if c := l.count.Add(-rwReader); c&(rwLockMask|rwWaiters) == rwWaiters {
		l.wake(ioSlept)
	}
}

// writeFast is the writer fast path: free to held, nothing else.
func (l *RWSem) writeFast(t *Task) bool {
	if l.count.CompareAndSwap(0, rwWriter) {
		l.owner.Store(t)
		return true
	}
	return false
}

// tryDownWrite is down_write_trylock.
func (l *RWSem) tryDownWrite(t *Task) bool { return l.writeFast(t) }

// downWrite takes the lock exclusive for task t (nil in tests of the lock
// alone), waiting as long as it must.
func (l *RWSem) downWrite(t *Task) {
	if !l.writeFast(t) {
		l.writeSlow(t)
	}
}

// writeSlow is rwsem_down_write_slowpath: spin and steal, else queue and
// retry on every wake-up.
func (l *RWSem) writeSlow(t *Task) {
	if l.spin() {
		l.owner.Store(t)
		return
	}
	w := newRWWaiter(true)
	l.waitMu.Lock()
	l.waiters = append(l.waiters, w)
	if l.waiters[0] != w {
		// The lock may have been released while we queued: wake the head.
		if wq := l.condWake(l.count.Load(), nil); len(wq) > 0 {
			l.waitMu.Unlock()
			wakeUp(wq)
			l.waitMu.Lock()
		}
	} else {
		l.count.Or(rwWaiters)
	}
	for !l.tryWriteLock(w) {
		l.waitMu.Unlock()
		<-w.wake
		l.waitMu.Lock()
	}
	l.waitMu.Unlock()
	l.owner.Store(t)
}

// spin is the optimistic spin (rwsem_optimistic_spin with
// rwsem_try_write_lock_unqueued): take the lock if it is free and no handoff
// is pending, waiters or not, polling at most writerSpins times while a
// running writer holds it. See RWSem for why it is this short.
func (l *RWSem) spin() bool {
	var deadline time.Time
	for i := range writerSpinPolls {
		if i%writerSpins == writerSpins-1 {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(writerSpinTime)
			} else if now.After(deadline) {
				return false
			}
		}
		c := l.count.Load()
		switch {
		case c&rwHandoff != 0:
			return false
		case c&rwLockMask == 0:
			if l.count.CompareAndSwap(c, c|rwWriter) {
				return true
			}
		case c&rwWriter == 0:
			return false // readers hold it: their sections are long (see RWSem)
		default:
			if o := l.owner.Load(); o != nil && o.offCPU.Load() {
				return false // the owner sleeps: spinning cannot see it finish
			}
		}
	}
	return false // a clock that does not move (testing/synctest) still ends the spin
}

// tryWriteLock is rwsem_try_write_lock, under waitMu: take the lock if it is
// free (unless the first waiter set the handoff bit and w is not it), else set
// the handoff bit if w has waited RWSemWaitTimeout.
func (l *RWSem) tryWriteLock(w *rwWaiter) bool {
	first := l.waiters[0]
	if w == first {
		l.writerWoken.Store(false) // it has retried
	}
	c := l.count.Load()
	var n int64
	for {
		handoff := c&rwHandoff != 0
		if handoff {
			if first.handoffSet && w != first {
				return false
			}
			if w == first {
				w.handoffSet = true // inherit a handoff a reader set
			}
		}
		n = c
		if c&rwLockMask != 0 {
			if handoff || !time.Now().After(w.timeout) {
				return false
			}
			n |= rwHandoff
		} else {
			n |= rwWriter
			n &^= rwHandoff
			if len(l.waiters) == 1 {
				n &^= rwWaiters
			}
		}
		if l.count.CompareAndSwap(c, n) {
			break
		}
		c = l.count.Load()
	}
	if n&rwHandoff != 0 {
		first.handoffSet = true
		return false
	}
	l.remove(w)
	return true
}

// remove takes w out of the queue, under waitMu.
func (l *RWSem) remove(w *rwWaiter) {
	for i, x := range l.waiters {
		if x == w {
			copy(l.waiters[i:], l.waiters[i+1:])
			l.waiters[len(l.waiters)-1] = nil
			l.waiters = l.waiters[:len(l.waiters)-1]
			return
		}
	}
}

// upWrite is up_write: release, and wake the queue if anyone waits.
func (l *RWSem) upWrite() {
	l.owner.Store(nil)
	if c := l.count.Add(-rwWriter); c&rwWaiters != 0 {
		l.wake(false)
	}
}

// wake is rwsem_wake; guard sets writerWoken if it wakes a writer.
func (l *RWSem) wake(guard bool) {
	var buf [8]*rwWaiter
	l.waitMu.Lock()
	wq := buf[:0]
	if len(l.waiters) > 0 {
		if guard {
			l.markWriterWoken()
		}
		wq = l.markWake(wakeAny, wq)
	}
	l.waitMu.Unlock()
	wakeUp(wq)
}

// markWriterWoken sets writerWoken if a writer heads the queue, under waitMu.
func (l *RWSem) markWriterWoken() {
	if l.waiters[0].write {
		l.writerWoken.Store(true)
	}
}

// condWake is rwsem_cond_wake_waiter, under waitMu: wake the head if the lock
// word c says it could have the lock.
func (l *RWSem) condWake(c int64, wq []*rwWaiter) []*rwWaiter {
	switch {
	case c&rwWriter != 0:
		return wq
	case c&rwReaderMask != 0:
		return l.markWake(wakeReaders, wq)
	}
	return l.markWake(wakeAny, wq)
}

// markWake is rwsem_mark_wake, under waitMu with the queue not empty: a writer
// at the head is added to wq (for wakeAny) and retries itself; readers are
// granted the lock here, up to MaxReadersWakeup of them from the whole queue,
// taken out of it and added to wq.
func (l *RWSem) markWake(kind wakeKind, wq []*rwWaiter) []*rwWaiter {
	first := l.waiters[0]
	if first.write {
		if kind == wakeAny {
			wq = append(wq, first)
		}
		return wq
	}
	var adj int64
	if kind != wakeReadOwned {
		// Grant the first reader before counting, so that a writer that stole
		// the lock meanwhile is seen.
		adj = rwReader
		if old := l.count.Add(adj) - adj; old&rwWriter != 0 {
			if time.Now().After(first.timeout) {
				if old&rwHandoff == 0 {
					adj -= rwHandoff
				}
				first.handoffSet = true
			}
			l.count.Add(-adj)
			return wq
		}
	}
	woken := int64(0)
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		if w.write || woken == MaxReadersWakeup {
			kept = append(kept, w)
			continue
		}
		woken++
		wq = append(wq, w)
	}
	clear(l.waiters[len(kept):])
	l.waiters = kept
	adj = woken*rwReader - adj
	old := l.count.Load()
	if len(kept) == 0 {
		adj -= rwWaiters
		if old&rwHandoff != 0 {
			adj -= rwHandoff
		}
	} else if woken > 0 && old&rwHandoff != 0 {
		adj -= rwHandoff
	}
	if adj != 0 {
		l.count.Add(adj)
	}
	return wq
}

// wakeUp is wake_up_q: a token to each waiter, after waitMu is dropped. When
// it woke a writer whose wait timeout has passed, the waker then yields, so
// that the writer runs and sets the handoff bit (see RWSem: Go runs a woken
// goroutine only when its waker's P next schedules). Woken readers hold the
// lock already: nothing to yield for.
func wakeUp(wq []*rwWaiter) {
	writer := false
	now := time.Now()
	for _, w := range wq {
		writer = writer || (w.write && now.After(w.timeout))
		select {
		case w.wake <- struct{}{}:
		default: // a writer already has a token to retry with
		}
	}
	if writer {
		runtime.Gosched()
	}
}
