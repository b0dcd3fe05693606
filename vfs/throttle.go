package vfs

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Dirty throttling is IO-less, as in Linux since 3.2 (mm/page-writeback.c:
// balance_dirty_pages, wb_update_write_bandwidth, wb_update_dirty_ratelimit,
// wb_position_ratio, wb_max_pause, wb_min_pause). A writer never writes back:
// the flusher does. Above the freerun point, midway between the background
// threshold and the limit, a writer sleeps, long enough that it dirties pages
// no faster than its task rate limit, the device's share of the measured write
// bandwidth scaled by how far the dirty count is from the setpoint. It sleeps
// where it is, holding whatever the caller holds (i_rwsem exclusive in write),
// as the kernel's writer does.
//
// Kept as the kernel has it, with its constants at HZ=1000 (one jiffy is a
// millisecond, so pauses come in whole milliseconds): the bandwidth estimate
// (written pages over periods of at least 200 ms, smoothed over a 3 s window
// rounded to a power of two of jiffies, then filtered once more for spikes;
// quiet periods of over a second skipped), the global position ratio (a cubic
// around the setpoint, 0 at the limit, at most 2), the base rate limit and its
// tracking of the balanced rate, the task's rate limit, the pause with its
// think-time credit, the maximum pause (the time to write 1/8 of the dirty
// pages, at most 200 ms), the minimum pause and the pages a task may dirty
// before it looks again (nr_dirtied_pause), and the loop over the limit (a
// task at or above it sleeps the maximum pause until it is below).
//
// Dropped, as they do not change the behaviour of one filesystem on one
// device with no cgroups: the per-device (wb) part of the position ratio and
// the per-device thresholds (one device holds all the dirty pages, so its
// share is the global one); the slowly moving global dirty limit (the limit is
// fixed); strictlimit and memcg domains; the per-CPU ratelimit that catches
// tasks that never reach their own (every model writer checks each write); and
// fixed-point arithmetic (rates are float64 pages per second).
const (
	maxPause          = 200 * time.Millisecond // MAX_PAUSE
	bandwidthInterval = 200 * time.Millisecond // BANDWIDTH_INTERVAL
	// bandwidthPeriod is the smoothing window: roundup_pow_of_two(3*HZ) jiffies.
	bandwidthPeriod = 4096 * time.Millisecond
	quietPeriod     = time.Second // a longer gap between updates is not measured
	dirtyPollThresh = 32          // DIRTY_POLL_THRESH: 128 KiB in pages
	initBandwidth   = 25600       // INIT_BW: 100 MiB/s in pages per second
	jiffy           = time.Millisecond
)

// dirtyControl is the filesystem's (its one device's) throttling state.
type dirtyControl struct {
	dirtied atomic.Int64 // pages made dirty, ever (WB_DIRTIED)
	written atomic.Int64 // pages whose writeback completed, ever (WB_WRITTEN)

	mu                 sync.Mutex // guards the estimates below
	stamp              time.Time  // bw_time_stamp: the last update
	dirtiedStamp       int64
	writtenStamp       int64
	writeBW, avgBW     float64    // write_bandwidth and avg_write_bandwidth, pages/s
	ratelimit          float64    // dirty_ratelimit, pages/s
	balancedRatelimit  float64    // balanced_dirty_ratelimit of the last update
	pausesMu           sync.Mutex // guards pauses and pauseTotal
	pauses             *hdrhistogram.Histogram
	pauseTotal, nPause int64
}

func (d *dirtyControl) init(now time.Time) {
	d.stamp = now
	d.writeBW, d.avgBW = initBandwidth, initBandwidth
	d.ratelimit, d.balancedRatelimit = initBandwidth, initBandwidth
	d.pauses = hdrhistogram.New(1, int64(time.Minute), 3)
}

// throttle is a task's state (the kernel's task_struct fields).
type throttle struct {
	nrDirtied      int       // pages dirtied since the last check
	nrDirtiedPause int       // pages to dirty before the next check
	pausedWhen     time.Time // dirty_paused_when: when the last pause ended, or the last check below freerun
}

// dirtyLimits are the thresholds in pages: background, freerun and the limit.
func (fs *FS) dirtyLimits() (bg, freerun, limit float64) {
	bg = float64(fs.opts.DirtyBackgroundBytes / PageSize)
	limit = float64(fs.opts.DirtyLimitBytes / PageSize)
	return bg, (bg + limit) / 2, limit
}

// posRatio is the global position ratio: 1 + x^3 with x the distance from the
// setpoint (midway between freerun and the limit) over the setpoint's distance
// to the limit, clamped to [0, 2]: above 1 below the setpoint, 0 at the limit.
func posRatio(dirty, freerun, limit float64) float64 {
	setpoint := (freerun + limit) / 2
	x := (setpoint - dirty) / max(limit-setpoint, 1)
	return min(max(1+x*x*x, 0), 2)
}

// updateBandwidth is __wb_update_bandwidth without the rate limit, run as
// writes complete.
func (d *dirtyControl) updateBandwidth(now time.Time) { d.update(now, 0, 0, 0, false) }

// update moves the estimates at most once per bandwidthInterval: with
// ratelimit (from a throttled writer), the base rate limit first, from the
// old bandwidth, then the write bandwidth.
func (d *dirtyControl) update(now time.Time, dirty, freerun, limit float64, ratelimit bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	elapsed := now.Sub(d.stamp)
	if elapsed < bandwidthInterval {
		return
	}
	dirtied, written := d.dirtied.Load(), d.written.Load()
	if elapsed <= quietPeriod {
		if ratelimit {
			d.updateRatelimit(elapsed, dirtied, dirty, freerun, limit)
		}
		d.updateWriteBandwidth(elapsed, written)
	}
	d.stamp, d.dirtiedStamp, d.writtenStamp = now, dirtied, written
}

// updateWriteBandwidth is wb_update_write_bandwidth: the bandwidth of the
// period, averaged into the smoothing window, and a second average that moves
// by an eighth, and only when the first has turned, to filter out spikes.
func (d *dirtyControl) updateWriteBandwidth(elapsed time.Duration, written int64) {
	bw := float64(written-d.writtenStamp) / elapsed.Seconds()
	bw = (bw*float64(elapsed) + d.writeBW*float64(bandwidthPeriod-elapsed)) / float64(bandwidthPeriod)
	avg, old := d.avgBW, d.writeBW
	if avg > old && old >= bw {
		avg -= (avg - old) / 8
	}
	if avg < old && old <= bw {
		avg += (old - avg) / 8
	}
	d.writeBW, d.avgBW = bw, max(avg, 1)
}

// updateRatelimit is wb_update_dirty_ratelimit: the balanced rate limit is
// the one at which the writers would dirty pages as fast as the device writes
// them (the task rate limit scaled by write bandwidth over dirty rate); the
// base rate limit steps towards it, only in the direction the position asks
// for, by an eighth of the way, less as it gets close.
func (d *dirtyControl) updateRatelimit(elapsed time.Duration, dirtied int64, dirty, freerun, limit float64) {
	dirtyRate := float64(dirtied-d.dirtiedStamp) / elapsed.Seconds()
	taskRatelimit := d.ratelimit*posRatio(dirty, freerun, limit) + 1
	balanced := min(taskRatelimit*d.writeBW/max(dirtyRate, 1), d.writeBW)
	var step float64
	if setpoint := (freerun + limit) / 2; dirty < setpoint {
		if x := min(d.balancedRatelimit, balanced, taskRatelimit); d.ratelimit < x {
			step = x - d.ratelimit
		}
	} else if x := max(d.balancedRatelimit, balanced, taskRatelimit); d.ratelimit > x {
		step = d.ratelimit - x
	}
	if shift := uint64(d.ratelimit / (2*step + 1)); shift < 64 {
		step = float64(uint64(step)>>shift+7) / 8 // DIV_ROUND_UP(step >> shift, 8)
	} else {
		step = 0
	}
	if d.ratelimit < balanced {
		d.ratelimit += step
	} else {
		d.ratelimit -= step
	}
	d.ratelimit = max(d.ratelimit, 1)
	d.balancedRatelimit = balanced
}

// rates returns the base rate limit and the smoothed write bandwidth.
func (d *dirtyControl) rates() (ratelimit, avgBW float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ratelimit, d.avgBW
}

// maxPauseFor is wb_max_pause: the jiffies to write an eighth of the dirty
// pages (dirty over bandwidth per 128 jiffies), plus one, at most MAX_PAUSE.
func maxPauseFor(dirty, avgBW float64) time.Duration {
	t := int64(dirty/(1+float64(int64(avgBW)/128))) + 1
	return min(time.Duration(t)*jiffy, maxPause)
}

// minPauseFor is wb_min_pause: it aims at 10 ms pauses (more with more
// writers, whom the base rate limit falls below the bandwidth for), at most
// half the maximum pause, and returns the shortest pause worth sleeping and
// the pages to dirty before the next check.
func minPauseFor(avgBW, ratelimit, taskRatelimit float64, maxP time.Duration) (time.Duration, int) {
	hi, lo := bits.Len64(uint64(avgBW))-1, bits.Len64(uint64(ratelimit))-1
	t := int64(10) // jiffies
	if hi > lo {
		t += int64(hi-lo) * 10 * 1000 / 1024
	}
	maxJ := int64(maxP / jiffy)
	t = min(t, 1+maxJ/2)
	pages := int64(ratelimit) * t / 1024
	if pages < dirtyPollThresh {
		t = maxJ
		pages = int64(ratelimit) * t / 1024
		if pages > dirtyPollThresh {
			pages = dirtyPollThresh
			t = 1000 * dirtyPollThresh / int64(ratelimit)
		}
	}
	if pause := 1000 * pages / (int64(taskRatelimit) + 1); pause > maxJ {
		t = maxJ
		pages = int64(taskRatelimit) * t / 1024
	}
	if pages >= dirtyPollThresh {
		t = 1 + t/2
	}
	return time.Duration(t) * jiffy, int(pages)
}

// dirtyPollInterval is dirty_poll_interval: below freerun a task looks again
// after about the square root of the pages left to the limit.
func dirtyPollInterval(dirty, limit float64) int {
	if limit > dirty {
		return 1 << ((bits.Len64(uint64(limit-dirty)) - 1) >> 1)
	}
	return 1
}

// balanceDirty is balance_dirty_pages_ratelimited: the task looks at the dirty
// count only when it has dirtied nr_dirtied_pause pages since it last did (8
// once the limit is exceeded); above the background threshold it wakes the
// flusher, and above freerun it pauses. The dirty count includes the pages
// under writeback, as the kernel's does.
func (t *Task) balanceDirty() error {
	if t.fs.flusherStop == nil {
		return t.writebackDirty()
	}
	fs, th := t.fs, &t.throttle
	bg, freerun, limit := fs.dirtyLimits()
	c := &fs.cache
	ratelimit := th.nrDirtiedPause
	if float64(c.nrDirty.Load()+c.nrWriteback.Load()) > limit {
		ratelimit = min(ratelimit, 8)
	}
	if th.nrDirtied < ratelimit {
		return nil
	}
	for {
		now := time.Now()
		dirty := float64(c.nrDirty.Load() + c.nrWriteback.Load())
		if float64(c.nrDirty.Load()) > bg {
			select {
			case fs.kick <- struct{}{}:
			default:
			}
		}
		if dirty <= freerun {
			th.pausedWhen, th.nrDirtied = now, 0
			th.nrDirtiedPause = dirtyPollInterval(dirty, limit)
			return nil
		}
		fs.dirty.update(now, dirty, freerun, limit, true)
		base, avgBW := fs.dirty.rates()
		taskRatelimit := base * posRatio(dirty, freerun, limit)
		maxP := maxPauseFor(dirty, avgBW)
		minP, pagesPause := minPauseFor(avgBW, base, taskRatelimit, maxP)
		pause := maxP
		if int64(taskRatelimit) > 0 {
			period := time.Duration(float64(th.nrDirtied) / taskRatelimit * float64(time.Second))
			pause = period
			if !th.pausedWhen.IsZero() {
				pause -= now.Sub(th.pausedWhen) // credit for the think time since
			}
			if pause < minP {
				switch {
				case pause < -time.Second: // a light dirtier: start over
					th.pausedWhen, th.nrDirtied = now, 0
				case period > 0: // carry the debt into the next period
					th.pausedWhen = th.pausedWhen.Add(period)
					th.nrDirtied = 0
				case th.nrDirtiedPause <= th.nrDirtied:
					th.nrDirtiedPause += th.nrDirtied
				}
				return nil
			}
			if pause > maxP { // count the part cut off as spent
				now = now.Add(min(pause-maxP, maxP))
				pause = maxP
			}
		}
		t.sleepDirty(pause)
		th.pausedWhen, th.nrDirtied, th.nrDirtiedPause = now.Add(pause), 0, pagesPause
		if int64(taskRatelimit) > 0 {
			return nil
		}
		if err := fs.writebackError(); err != nil {
			return err
		}
	}
}

// writebackError takes the first recorded writeback error of any file. A
// writer over the limit returns it instead of pausing again: the model keeps a
// page whose write failed dirty, so that it is retried (the kernel drops the
// data and records the error), and pages that cannot be written would keep
// the dirty count over the limit, and the writer in its loop, for good.
func (fs *FS) writebackError() error {
	for _, ino := range fs.inodes {
		if err := ino.Mapping.takeError(); err != nil {
			return err
		}
	}
	return nil
}

// writebackDirty is the throttling of a filesystem without a flusher
// (Options.FlushInterval 0, for deterministic tests; the runner always has
// one): there is no one to wait for, so a writer above the limit writes back
// dirty pages itself, waiting for them, until the dirty count is under the
// limit, as writers did before Linux 3.2. (Waiting keeps the tests'
// buffer recycling as it was: a page written over while its write is in
// flight keeps its old buffer until the write completes.)
func (t *Task) writebackDirty() error {
	fs := t.fs
	for _, ino := range fs.inodes {
		if fs.cache.nrDirty.Load()*PageSize <= fs.opts.DirtyLimitBytes {
			return nil
		}
		if err := t.writebackRange(ino, 0, ino.maxPages, true); err != nil {
			return err
		}
	}
	return nil
}

// sleepDirty is the writer's pause: the task holds no page buffer, so grace
// periods need not wait for it. The pause is recorded as the
// balance_dirty_pages tracepoint reports it, from its planned length.
func (t *Task) sleepDirty(pause time.Duration) {
	t.offline()
	t.slept()
	time.Sleep(pause)
	t.opStart()
	d := &t.fs.dirty
	d.pausesMu.Lock()
	_ = d.pauses.RecordValue(int64(pause)) // at most MAX_PAUSE: within the histogram's range
	d.pauseTotal += int64(pause)
	d.nPause++
	d.pausesMu.Unlock()
}

// DirtyPauses is the writers' dirty-throttling pauses so far: how many, their
// total, and their distribution.
type DirtyPauses struct {
	Count, TotalNs int64
	hist           *hdrhistogram.Snapshot
}

// DirtyPauses returns the pauses so far; Since subtracts an earlier snapshot.
func (fs *FS) DirtyPauses() DirtyPauses {
	d := &fs.dirty
	d.pausesMu.Lock()
	defer d.pausesMu.Unlock()
	return DirtyPauses{Count: d.nPause, TotalNs: d.pauseTotal, hist: d.pauses.Export()}
}

// PauseSummary is the count, total, 99th percentile and maximum of a set of
// pauses, in nanoseconds.
type PauseSummary struct {
	Count, TotalNs, P99Ns, MaxNs int64
}

// Since summarizes the pauses between an earlier snapshot and p; the zero
// DirtyPauses is the start.
func (p DirtyPauses) Since(earlier DirtyPauses) PauseSummary {
	s := *p.hist
	s.Counts = append([]int64(nil), s.Counts...) // p stays as it was
	if earlier.hist != nil {
		for i := range min(len(s.Counts), len(earlier.hist.Counts)) {
			s.Counts[i] -= earlier.hist.Counts[i]
		}
	}
	h := hdrhistogram.Import(&s)
	out := PauseSummary{Count: p.Count - earlier.Count, TotalNs: p.TotalNs - earlier.TotalNs}
	if out.Count > 0 {
		out.P99Ns, out.MaxNs = h.ValueAtQuantile(99), h.Max()
	}
	return out
}
