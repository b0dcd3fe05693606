package blockdev

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestMemoryDevice times concurrent I/Os on the memory device in a bubble,
// where the clock moves only when every goroutine waits: the elapsed time is
// the device model's, exactly.
func TestMemoryDevice(t *testing.T) {
	const ms = time.Millisecond
	for _, tc := range []struct {
		name   string
		dev    Device
		ios    int // concurrent I/Os
		blocks int // blocks each
		want   time.Duration
	}{
		{"latency overlaps without a depth", Device{Latency: ms}, 8, 1, ms},
		{"depth serializes beyond it", Device{Latency: ms, Depth: 2}, 8, 1, 4 * ms},
		{"depth one is one at a time", Device{Latency: ms, Depth: 1}, 3, 1, 3 * ms},
		// 4 KiB at 4 MiB/s is ~0.98ms; four such transfers share the link.
		{"bandwidth is shared", Device{Bandwidth: 4 << 20}, 4, 1, 4 * time.Duration(BlockSize*int64(time.Second)/(4<<20))},
		{"latency then transfer", Device{Latency: ms, Bandwidth: 4 << 20, Depth: 4}, 1, 4, ms + time.Duration(4*BlockSize*int64(time.Second)/(4<<20))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := NewMemoryDevice(64, tc.dev)
				start := time.Now()
				var wg sync.WaitGroup
				for i := range tc.ios {
					wg.Go(func() {
						bufs := make([][]byte, tc.blocks)
						for k := range bufs {
							bufs[k] = make([]byte, BlockSize)
						}
						if err := s.ReadBlocks(uint64(1+i*tc.blocks), bufs); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if got := time.Since(start); got != tc.want {
					t.Errorf("%d I/Os of %d blocks took %v, want %v", tc.ios, tc.blocks, got, tc.want)
				}
			})
		})
	}
}

// TestQueueDepth: Submit returns once issued and at most depth I/Os are in
// flight (ten 1ms I/Os at depth 4 take 3ms, and the submitter waits for tags).
func TestQueueDepth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const depth, n = 4, 10
		q := NewQueue(NewMemoryDevice(64, Device{Latency: time.Millisecond}), depth)
		var done atomic.Int64
		start := time.Now()
		for i := range n {
			q.Submit(i%2 == 0, uint64(1+i), [][]byte{make([]byte, BlockSize)}, func(err error) {
				if err != nil {
					t.Error(err)
				}
				done.Add(1)
			})
		}
		// The first depth submissions returned at once, the rest waited for tags.
		if el := time.Since(start); el != time.Duration((n-1)/depth)*time.Millisecond {
			t.Errorf("submitting %d I/Os at depth %d took %v", n, depth, el)
		}
		q.Drain()
		if done.Load() != n {
			t.Fatalf("%d of %d completions ran", done.Load(), n)
		}
		if el := time.Since(start); el != 3*time.Millisecond {
			t.Errorf("%d I/Os of 1ms at depth %d took %v, want 3ms", n, depth, el)
		}
	})
}
