package workload

import (
	"context"
	"math"
	"time"
)

// Pacer schedules a worker's ops. With a positive rate it is open loop: op i
// is intended to start at i/rate after the start, a fixed schedule that does
// not move when an op is late, so the latency of an op measured from its
// intended start includes the time it waited behind a slow predecessor (no
// coordinated omission). With rate 0 it is closed loop: each op is intended to
// start now. A Pacer belongs to one goroutine.
//
// The schedule is on the worker's own clock, now: nanoseconds since the start
// (the runner's clock.Clock, whose base is the run's start). The worker measures
// its latencies from the intended starts on that same clock, so the schedule
// and the measurements cannot drift apart, as a schedule on the monotonic clock
// and latencies on a calibrated TSC clock would (by the calibration's error
// times the time since the start). Wait sleeps for the difference between the
// intended start and now, a sleep short enough that the two clocks' rates do
// not matter.
type Pacer struct {
	now   func() int64 // ns since the start
	rate  float64      // ops per second; 0 is closed loop
	i     int64        // index of the next op
	timer *time.Timer
}

// NewPacer returns a pacer issuing opsPerSec ops per second from the zero of
// the clock now (nanoseconds since the start); a rate of 0 (or less) is a
// closed loop.
func NewPacer(opsPerSec float64, now func() int64) *Pacer {
	if !(opsPerSec > 0) || math.IsInf(opsPerSec, 0) {
		opsPerSec = 0
	}
	return &Pacer{now: now, rate: opsPerSec}
}

// Next returns the intended start of the next op (ns since the start) and moves
// the schedule on by one op. Closed loop, it returns now().
func (p *Pacer) Next() int64 {
	if p.rate == 0 {
		return p.now()
	}
	// i·1e9/rate, computed from i each time so rounding does not drift.
	d := int64(math.Round(float64(p.i) * 1e9 / p.rate))
	p.i++
	return d
}

// Wait takes the next intended start from Next, sleeps until then (not at all
// when the schedule is behind) and returns it: the caller measures the op's
// latency from the returned time. It returns early with ctx's error when ctx
// is done first. Wait reuses one timer and does not allocate.
func (p *Pacer) Wait(ctx context.Context) (int64, error) {
	t := p.Next()
	if err := ctx.Err(); err != nil {
		return t, err
	}
	if p.rate == 0 {
		return t, nil
	}
	d := time.Duration(t - p.now())
	if d <= 0 {
		return t, nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d) // Go 1.23+ timers: no stale tick can be pending
	}
	select {
	case <-p.timer.C:
		return t, nil
	case <-ctx.Done():
		p.timer.Stop()
		return t, ctx.Err()
	}
}
