package vfs

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// A holder is a goroutine that takes the lock, says so, and holds it until told.
type holder struct {
	got     atomic.Bool // it holds the lock
	release chan struct{}
	done    chan struct{}
}

// hold starts a goroutine taking l (exclusive if write). Inside a synctest
// bubble, synctest.Wait after it returns once the goroutine holds the lock or
// sleeps in the wait queue.
func hold(l *RWSem, write bool) *holder {
	h := &holder{release: make(chan struct{}), done: make(chan struct{})}
	go func() {
		if write {
			l.downWrite(nil)
		} else {
			l.downRead()
		}
		h.got.Store(true)
		<-h.release
		h.got.Store(false)
		if write {
			l.upWrite()
		} else {
			l.upRead(false)
		}
		close(h.done)
	}()
	return h
}

func (h *holder) unlock() { close(h.release); <-h.done }

// queue starts holders one at a time, each queued before the next starts.
func queue(l *RWSem, kinds string) []*holder {
	var hs []*holder
	for _, k := range kinds {
		hs = append(hs, hold(l, k == 'W'))
		synctest.Wait()
	}
	return hs
}

// holding says which holders hold the lock, as a string of 0 and 1.
func holding(hs []*holder) string {
	b := make([]byte, len(hs))
	for i, h := range hs {
		b[i] = '0'
		if h.got.Load() {
			b[i] = '1'
		}
	}
	return string(b)
}

func expectHolding(t *testing.T, step string, hs []*holder, want string) {
	t.Helper()
	synctest.Wait()
	if got := holding(hs); got != want {
		t.Fatalf("%s: holders %s, want %s", step, got, want)
	}
}

// wakeWindow returns a lock with a writer queued and the lock word free: its
// holder released it, but the wake-up has not reached the waiter (call wake).
func wakeWindow() (*RWSem, []*holder) {
	l := new(RWSem)
	l.downWrite(nil)
	w := queue(l, "W")
	releaseCount(l)
	return l, w
}

// releaseCount is the first half of up_write: the lock word says free, the
// wake-up of the queue has not happened yet (the window in which the kernel's
// woken waiter is not running yet).
func releaseCount(l *RWSem) {
	l.owner.Store(nil)
	l.count.Add(-rwWriter)
}

// The order in which the queue gets the lock. The lock is held (by a writer,
// or a reader) while the waiters queue in the order given; then each step
// releases one holder (-1: the first) and checks who holds the lock.
//   - fifo: writers in the order they queued; a reader behind a writer at the
//     head is not woken with it.
//   - reader behind queued writer: a reader arriving while a reader holds the
//     lock and a writer waits queues behind the writer (as with sync.RWMutex;
//     this is also the deadlock of a recursive shared acquisition).
//   - reader phase: with a reader at the head a wake-up grants the readers
//     queued behind a writer too; the writer waits for all of them.
func TestRWSemQueueOrder(t *testing.T) {
	type step struct {
		release int
		want    string
	}
	for _, tc := range []struct {
		name   string
		first  bool // the first holder is a writer
		queued string
		steps  []step
	}{
		{"fifo", true, "WRWW", []step{{-1, "1000"}, {0, "0100"}, {1, "0010"}, {2, "0001"}, {3, "0000"}}},
		{"reader behind queued writer", false, "WR", []step{{-1, "10"}, {0, "01"}, {1, "00"}}},
		{"reader phase", true, "RWR", []step{{-1, "101"}, {0, "001"}, {2, "010"}, {1, "000"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var l RWSem
				first := "R"
				if tc.first {
					first = "W"
				}
				h0 := queue(&l, first)
				hs := queue(&l, tc.queued)
				expectHolding(t, "queued", hs, strings.Repeat("0", len(hs)))
				for _, st := range tc.steps {
					h := h0[0]
					if st.release >= 0 {
						h = hs[st.release]
					}
					h.unlock()
					expectHolding(t, fmt.Sprintf("after release %d", st.release), hs, st.want)
				}
				if c := l.count.Load(); c != 0 {
					t.Fatalf("lock word %#x after all released, want 0", c)
				}
			})
		})
	}
}

// The reader fast path (and down_read_trylock) fails whenever anyone waits,
// even while only readers hold the lock.
func TestRWSemFastPathFailsWithWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l RWSem
		r0 := queue(&l, "R")
		if !l.tryDownRead() {
			t.Fatal("trylock shared failed with readers holding and no waiter")
		}
		l.upRead(false)
		w := queue(&l, "W")
		if l.count.Load()&rwWaiters == 0 {
			t.Fatal("no waiters bit with a writer queued")
		}
		if l.tryDownRead() {
			t.Fatal("trylock shared succeeded with a writer queued")
		}
		if _, ok := l.readFast(); ok {
			t.Fatal("fast path succeeded with a writer queued")
		}
		l.count.Add(-rwReader) // undo the fast path's bias
		r0[0].unlock()
		expectHolding(t, "reader released", w, "1")
		w[0].unlock()
	})
}

// A writer that arrives when the lock is free but a woken waiter has not run
// yet takes the lock ahead of it (stealing); before RWSemWaitTimeout the
// waiter, finding the lock taken, just sleeps again.
func TestRWSemWriterSteals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, w := wakeWindow()
		l.downWrite(nil) // the fast path fails (waiters), the spin steals
		l.wake(false)    // the release's wake-up reaches the waiter late
		expectHolding(t, "stolen", w, "0")
		if l.count.Load()&rwHandoff != 0 {
			t.Fatal("handoff bit set by a waiter that waited less than RWSemWaitTimeout")
		}
		l.upWrite()
		expectHolding(t, "thief released", w, "1")
		w[0].unlock()
	})
}

// A reader whose fast path failed (a writer waits) but that finds the lock
// free and no other reader in takes it too (the kernel's reader lock
// stealing); the woken writer then waits for it.
func TestRWSemReaderSteals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, w := wakeWindow()
		if _, ok := l.readFast(); ok {
			t.Fatal("fast path succeeded with a writer queued")
		}
		l.count.Add(-rwReader) // undo the fast path's bias
		l.downRead()           // steals: would sleep forever (a bubble deadlock) otherwise
		l.wake(false)
		expectHolding(t, "stolen by a reader", w, "0")
		l.upRead(false)
		expectHolding(t, "reader released", w, "1")
		w[0].unlock()
	})
}

// After RWSemWaitTimeout the first waiter that finds the lock stolen sets the
// handoff bit, and then no one takes the lock past it: not the writer's fast
// path or spin, not the reader's fast path or stealing.
func TestRWSemHandoff(t *testing.T) {
	for _, tc := range []struct {
		waited  time.Duration
		handoff bool
	}{
		{RWSemWaitTimeout - time.Millisecond, false},
		{RWSemWaitTimeout + time.Millisecond, true},
	} {
		t.Run(tc.waited.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var l RWSem
				l.downWrite(nil)
				w := queue(&l, "W")
				time.Sleep(tc.waited)
				releaseCount(&l)
				l.downWrite(nil) // steals: no handoff yet
				l.wake(false)
				expectHolding(t, "stolen", w, "0")
				if got := l.count.Load()&rwHandoff != 0; got != tc.handoff {
					t.Fatalf("handoff bit %v after waiting %v, want %v", got, tc.waited, tc.handoff)
				}
				releaseCount(&l)
				if !tc.handoff {
					if !l.spin() {
						t.Fatal("spinning writer did not steal the free lock without a handoff")
					}
					l.upWrite()
					expectHolding(t, "released", w, "1")
					w[0].unlock()
					return
				}
				if l.tryDownWrite(nil) || l.spin() {
					t.Fatal("a writer took the lock past the handoff")
				}
				if l.tryDownRead() {
					t.Fatal("trylock shared took the lock past the handoff")
				}
				if c, ok := l.readFast(); ok || l.readSteal(c) {
					t.Fatal("a reader took the lock past the handoff")
				}
				l.count.Add(-rwReader) // undo the fast path's bias
				l.wake(false)
				expectHolding(t, "handed off", w, "1")
				if l.count.Load()&rwHandoff != 0 {
					t.Fatal("handoff bit still set after the handoff")
				}
				w[0].unlock()
			})
		})
	}
}

// One wake-up grants at most MaxReadersWakeup readers; the rest are granted
// when those are done.
func TestRWSemReaderWakeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l RWSem
		l.downWrite(nil)
		const n = MaxReadersWakeup + 44
		hs := make([]*holder, n)
		for i := range hs {
			hs[i] = hold(&l, false)
		}
		synctest.Wait()
		l.upWrite()
		synctest.Wait()
		granted := func() int {
			k := 0
			for _, h := range hs {
				if h.got.Load() {
					k++
				}
			}
			return k
		}
		if got := granted(); got != MaxReadersWakeup {
			t.Fatalf("%d readers granted by one wake-up, want %d", got, MaxReadersWakeup)
		}
		var first []*holder
		for _, h := range hs {
			if h.got.Load() {
				first = append(first, h)
			}
		}
		for _, h := range first {
			h.unlock()
		}
		synctest.Wait()
		if got := granted(); got != n-MaxReadersWakeup {
			t.Fatalf("%d readers granted after the first ones left, want %d", got, n-MaxReadersWakeup)
		}
		for _, h := range hs {
			if h.got.Load() {
				h.unlock()
			}
		}
	})
}

// Under real concurrency (no bubble) writers exclude everyone and readers
// exclude writers, with every path (fast, steal, spin, queue, handoff, trylock)
// taken; with -race this also checks the lock word orders memory.
func TestRWSemExclusion(t *testing.T) {
	var l RWSem
	var readers, writers atomic.Int32
	var shared int // written by writers only, read by readers
	iters := 3000
	if testing.Short() {
		iters = 500
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range iters {
				switch (g + i) % 5 {
				case 0, 1:
					l.downWrite(nil)
					if writers.Add(1) != 1 || readers.Load() != 0 {
						t.Error("writer not alone")
					}
					shared++
					writers.Add(-1)
					l.upWrite()
				case 2:
					if l.tryDownRead() {
						_ = shared
						l.upRead(false)
					}
				default:
					l.downRead()
					readers.Add(1)
					if writers.Load() != 0 {
						t.Error("reader beside a writer")
					}
					_ = shared
					readers.Add(-1)
					l.upRead(false)
				}
			}
		})
	}
	wg.Wait()
	if c := l.count.Load(); c != 0 || len(l.waiters) != 0 {
		t.Fatalf("lock word %#x and %d waiters at the end", c, len(l.waiters))
	}
}

// BenchmarkRWSemUncontended compares the uncontended paths with Go's
// sync.RWMutex, which RWSem replaced: the cached read path takes a shared
// lock on every read in irwsem and perbatch.
func BenchmarkRWSemUncontended(b *testing.B) {
	var l RWSem
	var m sync.RWMutex
	for _, bc := range []struct {
		name         string
		lock, unlock func()
	}{
		{"RWSem/shared", l.downRead, func() { l.upRead(false) }},
		{"sync.RWMutex/shared", m.RLock, m.RUnlock},
		{"RWSem/exclusive", func() { l.downWrite(nil) }, l.upWrite},
		{"sync.RWMutex/exclusive", m.Lock, m.Unlock},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.lock()
				bc.unlock()
			}
		})
	}
}

// After the last reader out slept on I/O and woke the writer at the head, no
// reader steals the lock until that writer has retried (writerWoken); once it
// has, stealing is allowed again (TestRWSemReaderSteals).
func TestRWSemWokenWriterFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := new(RWSem)
		l.downRead()
		w := queue(l, "W")
		l.count.Add(-rwReader) // the reader's release: the lock word says free
		l.waitMu.Lock()
		l.markWriterWoken() // its wake-up, as upRead(true) makes it, not yet run by the writer
		l.waitMu.Unlock()
		c, ok := l.readFast()
		if ok || l.readSteal(c) {
			t.Fatal("a reader stole the lock from a writer woken by a reader that slept on I/O")
		}
		l.count.Add(-rwReader) // undo the fast path's bias
		l.wake(false)          // the writer runs and retries
		expectHolding(t, "woken writer", w, "1")
		if l.writerWoken.Load() {
			t.Fatal("writerWoken still set after the writer retried")
		}
		w[0].unlock()
	})
}
