package workload

import (
	"context"
	"math"
	"time"
)

// Pacer schedules a worker's ops. With a positive rate it is open loop: op i
// is intended to start at start + i/rate, a fixed schedule that does not move
// when an op is late, so the latency of an op measured from its intended start
// includes the time it waited behind a slow predecessor (no coordinated
// omission). With rate 0 it is closed loop: each op is intended to start now.
// A Pacer belongs to one goroutine.
type Pacer struct {
	start time.Time
	rate  float64 // ops per second; 0 is closed loop
	i     int64   // index of the next op
	timer *time.Timer
}

// NewPacer returns a pacer issuing opsPerSec ops per second from start; a rate
// of 0 (or less) is a closed loop.
func NewPacer(opsPerSec float64, start time.Time) *Pacer {
	if !(opsPerSec > 0) || math.IsInf(opsPerSec, 0) {
		opsPerSec = 0
	}
	return &Pacer{start: start, rate: opsPerSec}
}

// Next returns the intended start of the next op and moves the schedule on by
// one op. Closed loop, it returns time.Now().
func (p *Pacer) Next() time.Time {
	if p.rate == 0 {
		return time.Now()
	}
	// i·1e9/rate, computed from i each time so rounding does not drift.
	d := time.Duration(math.Round(float64(p.i) * 1e9 / p.rate))
	p.i++
	return p.start.Add(d)
}

// Wait takes the next intended start from Next, sleeps until then (not at all
// when the schedule is behind) and returns it: the caller measures the op's
// latency from the returned time. It returns early with ctx's error when ctx
// is done first. Wait reuses one timer and does not allocate.
func (p *Pacer) Wait(ctx context.Context) (time.Time, error) {
	t := p.Next()
	if err := ctx.Err(); err != nil {
		return t, err
	}
	d := time.Until(t)
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
