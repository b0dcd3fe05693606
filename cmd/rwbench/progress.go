package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/runner"
)

// progressLine draws one line on a terminal, rewritten in place: the phase,
// the cell, the time since the invocation began and an estimate of what is
// left of it. The runner tells it of each run and phase (runner.Progress); a
// ticker redraws it so that the clock moves during long phases. A small
// renderer of our own rather than a progress-bar library: the line is text
// whose every part changes, with no quantity to draw a bar of, and the ETA is
// of the invocation's time, which the config fixes except for prefill and
// fsck, which it learns from the runs done. Log writes through it clear the
// line first, so warnings never end up glued to it.
type progressLine struct {
	w     io.Writer
	width func() int // the terminal's width, 0 when unknown
	now   func() time.Time

	mu      sync.Mutex // guards everything below, and writes to w
	start   time.Time
	info    runner.RunInfo
	phase   runner.Phase
	runAt   time.Time     // when the current run began
	doneDur time.Duration // wall time of the runs completed
	done    int
	drawn   bool
	stop    chan struct{}
}

func newProgressLine(w io.Writer, width func() int) *progressLine {
	p := &progressLine{w: w, width: width, now: time.Now, stop: make(chan struct{})}
	p.start = p.now()
	go p.tick()
	return p
}

func (p *progressLine) tick() {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.mu.Lock()
			if p.info.Total > 0 {
				p.draw()
			}
			p.mu.Unlock()
		case <-p.stop:
			return
		}
	}
}

// Run implements runner.Progress.
func (p *progressLine) Run(r runner.RunInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.info.Total > 0 {
		p.done++
		p.doneDur += now.Sub(p.runAt)
	}
	p.info, p.phase, p.runAt = r, "", now
	p.draw()
}

// Phase implements runner.Progress.
func (p *progressLine) Phase(ph runner.Phase) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase = ph
	p.draw()
}

// eta estimates the time left: the rest of the current run and the runs to
// come, each as long as the completed ones took on average, or, before one
// has, as its warm-up and window (prefill and fsck not yet known).
func (p *progressLine) eta(now time.Time) time.Duration {
	per := p.info.Warmup + p.info.Duration
	if p.done > 0 {
		per = p.doneDur / time.Duration(p.done)
	}
	left := time.Duration(p.info.Total-p.info.Index) * per
	return left + max(per-now.Sub(p.runAt), 0)
}

// line is the text of the progress line.
func (p *progressLine) line(now time.Time) string {
	cell := p.info.Strategy
	if ps := results.ParamsString(p.info.Params); ps != "" {
		cell += " " + ps
	}
	phase := string(p.phase)
	if phase == "" {
		phase = "setup"
	}
	return fmt.Sprintf("run %d/%d  %-7s  %s  rep %d/%d  %s elapsed, ETA %s", p.info.Index, p.info.Total, phase, cell,
		p.info.Rep, p.info.Reps, clockTime(now.Sub(p.start)), clockTime(p.eta(now)))
}

// draw rewrites the line, cut to the terminal's width. p.mu must be held.
func (p *progressLine) draw() {
	s := p.line(p.now())
	if w := p.width(); w > 1 && len([]rune(s)) >= w {
		s = string([]rune(s)[:w-1])
	}
	fmt.Fprint(p.w, "\r\033[K"+s)
	p.drawn = true
}

// Write writes a log message on its own lines: the progress line is cleared
// first and drawn again at the next tick or phase.
func (p *progressLine) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return p.w.Write(b)
}

func (p *progressLine) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// Close stops the ticker and clears the line.
func (p *progressLine) Close() {
	close(p.stop)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.info.Total = 0
}

// clockTime formats d as m:ss, or h:mm:ss from an hour.
func clockTime(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
