package vfs

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rwbench/rwbench/blockdev"
)

func TestPosRatio(t *testing.T) {
	const freerun, limit = 600.0, 1000.0
	for _, tc := range []struct {
		dirty, want float64
	}{
		{800, 1},  // the setpoint
		{1000, 0}, // the limit
		{1200, 0}, // over it: clamped
		{0, 2},    // far below: clamped
	} {
		if got := posRatio(tc.dirty, freerun, limit); got < tc.want-0.01 || got > tc.want+0.01 {
			t.Errorf("posRatio(%v) = %v, want %v", tc.dirty, got, tc.want)
		}
	}
	for d := 600.0; d < 1000; d += 50 {
		if posRatio(d+50, freerun, limit) >= posRatio(d, freerun, limit) {
			t.Errorf("posRatio does not fall from %v to %v", d, d+50)
		}
	}
}

func TestPauseBounds(t *testing.T) {
	for _, tc := range []struct {
		dirty, bw float64
		want      time.Duration
	}{
		{1 << 20, 1, maxPause},                   // a huge backlog on a slow device: MAX_PAUSE
		{1000, 128 * 100, 10 * time.Millisecond}, // 1000 pages over (1 + 12800/128), in whole jiffies, plus one
	} {
		if got := maxPauseFor(tc.dirty, tc.bw); got != tc.want {
			t.Errorf("maxPauseFor(%v, %v) = %v, want %v", tc.dirty, tc.bw, got, tc.want)
		}
	}
	minP, pages := minPauseFor(25600, 25600, 25600, maxPause)
	// One writer at the device's rate: 10ms pauses, a check every 250 pages,
	// and a pause shorter than half the target not worth taking.
	if minP != 6*time.Millisecond || pages != 250 {
		t.Errorf("minPauseFor at the device's rate = %v, %d pages; want 6ms, 250", minP, pages)
	}
}

// TestDirtyThrottle runs a writer against a slow device in a bubble, where a
// write's elapsed time is its pause exactly (nothing else takes time): no
// pause at or below freerun, pauses that grow as the dirty count nears the
// limit and never exceed MAX_PAUSE, a dirty count held under the limit, a
// writer that never writes back itself, a bandwidth estimate that finds the
// device's, a base rate limit that follows it, and a flusher that drains everything once the writer stops.
func TestDirtyThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bw = 4 << 20 // bytes/s: 1024 pages/s
		store := blockdev.NewMemoryDevice(1<<15, blockdev.Device{Bandwidth: bw, Depth: 32})
		fs, err := New(store, NewTableStrategy("none", "", Table{}), 1, 1<<14*PageSize, Options{
			CacheBytes: 4096 * PageSize, FlushInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		_, freerun, limit := fs.dirtyLimits()
		setpoint := (freerun + limit) / 2
		w := fs.NewTask()
		defer w.Close()
		data := make([]byte, 2*PageSize)
		var below, nearSet, nearLimit []time.Duration
		var slept time.Duration
		p0 := fs.DirtyPauses()
		maxDirty := 0.0
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			c := &fs.cache
			dirty := float64(c.nrDirty.Load() + c.nrWriteback.Load())
			maxDirty = max(maxDirty, dirty)
			start := time.Now()
			off := int64(i*7919%(1<<13)) * 2 * PageSize
			if _, err := w.Write(0, off, data); err != nil {
				t.Fatal(err)
			}
			pause := time.Since(start)
			slept += pause
			if pause > maxPause {
				t.Fatalf("a pause of %v at %v dirty pages", pause, dirty)
			}
			switch {
			case dirty <= freerun:
				below = append(below, pause)
			case dirty < setpoint:
				nearSet = append(nearSet, pause)
			default:
				nearLimit = append(nearLimit, pause)
			}
		}
		for _, p := range below {
			if p != 0 {
				t.Fatalf("a pause of %v at or below freerun", p)
			}
		}
		mean := func(ps []time.Duration) time.Duration {
			var s time.Duration
			for _, p := range ps {
				s += p
			}
			return s / time.Duration(max(len(ps), 1))
		}
		t.Logf("writes: %d at or below freerun, %d up to the setpoint (mean pause %v), %d above (mean %v); most dirty %v of %v",
			len(below), len(nearSet), mean(nearSet), len(nearLimit), mean(nearLimit), maxDirty, limit)
		if len(nearLimit) == 0 || mean(nearLimit) <= mean(nearSet) {
			t.Errorf("pauses do not grow towards the limit: %v up to the setpoint, %v above", mean(nearSet), mean(nearLimit))
		}
		if maxDirty > limit {
			t.Errorf("%v pages dirty or under writeback, limit %v", maxDirty, limit)
		}
		if w.wroteBack != 0 {
			t.Errorf("the writer wrote back %d pages itself", w.wroteBack)
		}
		base, avg := fs.dirty.rates()
		if avg < 0.7*bw/PageSize || avg > 1.3*bw/PageSize {
			t.Errorf("write bandwidth estimated at %.0f pages/s, the device's is %d", avg, bw/PageSize)
		}
		// One writer: the base rate limit tracks the balanced rate, which is
		// the device's bandwidth, down from its start at 100 MiB/s.
		if base > 2*bw/PageSize {
			t.Errorf("base rate limit %.0f pages/s, the device writes %d", base, bw/PageSize)
		}
		p1 := fs.DirtyPauses()
		if p := p1.Since(p0); p.TotalNs != int64(slept) || p.Count == 0 || p.MaxNs > int64(maxPause) || p.P99Ns > p.MaxNs {
			t.Errorf("pauses %+v; the writes slept %v in all", p, slept)
		}
		if p := fs.DirtyPauses().Since(p1); p != (PauseSummary{}) {
			t.Errorf("no pause between two snapshots, Since says %+v", p)
		}
		time.Sleep(5 * time.Second)
		if n := fs.DirtyPages(); n != 0 {
			t.Errorf("%d pages still dirty 5s after the writer stopped", n)
		}
	})
}
