package rangelock

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestTryLock(t *testing.T) {
	for _, tc := range []struct {
		name              string
		f1, l1            uint64
		x1                bool
		f2, l2            uint64
		x2                bool
		wantSecondGranted bool
	}{
		{"shared overlap", 0, 10, false, 5, 15, false, true},
		{"exclusive overlap", 0, 10, true, 5, 15, false, false},
		{"shared then exclusive overlap", 0, 10, false, 10, 15, true, false},
		{"exclusive disjoint", 0, 10, true, 11, 15, true, true},
		{"touching ends overlap", 0, 10, true, 10, 10, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Lock
			h, ok := l.TryLock(tc.f1, tc.l1, tc.x1)
			if !ok {
				t.Fatal("first TryLock failed on an empty lock")
			}
			_, ok = l.TryLock(tc.f2, tc.l2, tc.x2)
			if ok != tc.wantSecondGranted {
				t.Fatalf("second TryLock granted = %v, want %v", ok, tc.wantSecondGranted)
			}
			l.Unlock(h)
			if _, ok := l.TryLock(tc.f2, tc.l2, tc.x2); !ok && !tc.wantSecondGranted {
				t.Fatal("second range still refused after the first was released")
			}
		})
	}
}

// A queued exclusive range holds back later shared requests that overlap it
// (no starvation), but not disjoint ones.
func TestQueuedWriterOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l Lock
		reader, _ := l.Lock(0, 100, false)
		var writerGot, lateReaderGot, disjointGot atomic.Bool
		go func() {
			h, _ := l.Lock(50, 60, true)
			writerGot.Store(true)
			time.Sleep(time.Second)
			l.Unlock(h)
		}()
		synctest.Wait()
		go func() {
			h, _ := l.Lock(55, 55, false)
			lateReaderGot.Store(true)
			l.Unlock(h)
		}()
		go func() {
			h, _ := l.Lock(200, 300, false)
			disjointGot.Store(true)
			l.Unlock(h)
		}()
		synctest.Wait()
		if writerGot.Load() || lateReaderGot.Load() {
			t.Fatal("writer or late reader granted while the first reader holds the range")
		}
		if !disjointGot.Load() {
			t.Fatal("disjoint reader waited")
		}
		l.Unlock(reader)
		synctest.Wait()
		if !writerGot.Load() || lateReaderGot.Load() {
			t.Fatalf("after release: writer %v, late reader %v; want writer first", writerGot.Load(), lateReaderGot.Load())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if !lateReaderGot.Load() {
			t.Fatal("late reader never granted")
		}
	})
}

// Exclusive holders of overlapping ranges never overlap in time.
func TestMutualExclusion(t *testing.T) {
	var l Lock
	owner := make([]atomic.Int32, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				f := uint64((g*7 + i*13) % 60)
				last := f + uint64(i%4)
				x := i%3 == 0
				h, _ := l.Lock(f, last, x)
				for p := f; p <= last; p++ {
					if x {
						if !owner[p].CompareAndSwap(0, -1) {
							t.Errorf("page %d: exclusive while held", p)
						}
					} else if owner[p].Add(1) <= 0 {
						t.Errorf("page %d: shared while held exclusive", p)
					}
				}
				for p := f; p <= last; p++ {
					if x {
						owner[p].Store(0)
					} else {
						owner[p].Add(-1)
					}
				}
				l.Unlock(h)
			}
		}()
	}
	wg.Wait()
	if n := l.Held(); n != 0 {
		t.Fatalf("%d ranges still held", n)
	}
}

func FuzzLock(f *testing.F) {
	f.Add([]byte{0, 10, 1, 5, 3, 0, 20, 30, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var l Lock
		var held []Range
		for len(data) >= 3 {
			a, b, op := uint64(data[0]), uint64(data[1]), data[2]
			data = data[3:]
			if a > b {
				a, b = b, a
			}
			if op%4 == 3 && len(held) > 0 {
				l.Unlock(held[0])
				held = held[1:]
				continue
			}
			if h, ok := l.TryLock(a, b, op%2 == 1); ok {
				held = append(held, h)
			}
		}
		if l.Held() != len(held) {
			t.Fatalf("Held() = %d, want %d", l.Held(), len(held))
		}
		for _, h := range held {
			l.Unlock(h)
		}
		if l.Held() != 0 {
			t.Fatal("ranges left after unlocking all")
		}
	})
}
