package runner

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"time"
)

// sampled is what sampleWindow saw: each worker's ops completed per interval of
// the window, and how long the window was open.
type sampled struct {
	perWorker [][]int64
	window    time.Duration
}

// sampleWindow opens the window at start and shuts it when ctx ends (the end of
// the measurement, or an interrupt), for the workers that read no clock, and
// samples each worker's completed ops every interval meanwhile.
func sampleWindow(ctx context.Context, win *window, workers []*worker, start time.Time, interval time.Duration) sampled {
	t := time.NewTimer(time.Until(start))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		win.shut.Store(true)
		return sampled{}
	}
	prev := make([]int64, len(workers))
	for i, w := range workers {
		prev[i] = w.done.Load()
	}
	win.open.Store(true)
	opened := time.Now()
	out := sampled{perWorker: make([][]int64, len(workers))}
	sample := func() {
		for i, w := range workers {
			n := w.done.Load()
			out.perWorker[i] = append(out.perWorker[i], n-prev[i])
			prev[i] = n
		}
	}
	tickUntil(ctx, interval, sample)
	win.shut.Store(true)
	out.window = time.Since(opened)
	sample()
	return out
}

// sampleRSS samples the resident set from start until ctx ends, every tenth of
// interval (10ms to 100ms), and returns the largest sample of each of the n
// intervals of the measurement window (see intervalMax); nil where
// /proc/self/statm is missing. A late sample folds into the last interval.
func sampleRSS(ctx context.Context, start time.Time, interval time.Duration, n int) []int64 {
	if n <= 0 || readRSS() == 0 {
		return nil
	}
	t := time.NewTimer(time.Until(start))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil
	}
	iv := newIntervalMax(n)
	sample := func() { iv.add(min(max(int(time.Since(start)/interval), 0), n-1), readRSS()) }
	sample()
	tickUntil(ctx, min(max(interval/10, 10*time.Millisecond), 100*time.Millisecond), sample)
	sample() // the last interval, had the sampler no turn in it
	return iv.max
}

// intervalMax is the largest sample of each interval. An interval in which no
// sample was taken (the sampler had no turn on a loaded machine) gets the
// larger of the samples either side of it.
type intervalMax struct {
	max  []int64
	last int   // the interval of the latest sample, -1 before the first
	prev int64 // the latest sample
}

func newIntervalMax(n int) *intervalMax { return &intervalMax{max: make([]int64, n), last: -1} }

// add records sample v, taken in interval j (not before the latest's).
func (m *intervalMax) add(j int, v int64) {
	for k := m.last + 1; k < j; k++ {
		m.max[k] = max(m.prev, v)
	}
	m.max[j] = max(m.max[j], v)
	m.last, m.prev = j, v
}

// tickUntil calls f every d until ctx ends.
func tickUntil(ctx context.Context, d time.Duration, f func()) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			f()
		case <-ctx.Done():
			return
		}
	}
}

// readRSS returns the resident set in bytes from /proc/self/statm, 0 if
// unavailable.
func readRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	return parseStatm(data, int64(os.Getpagesize()))
}

// parseStatm returns the resident pages of a /proc/PID/statm text ("size
// resident shared text lib data dt", in pages) times pageSize; 0 if malformed.
func parseStatm(statm []byte, pageSize int64) int64 {
	f := bytes.Fields(statm)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || pages < 0 {
		return 0
	}
	return pages * pageSize
}
