package runner

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
)

// How long the runner waits for a run that should be stopping. A store can
// hang an I/O in the kernel for minutes, and a goroutine inside it cannot be
// stopped: past these bounds the runner leaves it behind (the process exits
// soon after, which ends it) rather than wait.
const (
	// stopGrace is how long a run may take to stop after an interrupt.
	stopGrace = 500 * time.Millisecond
	// closeGrace is how long closing a target (the flusher's last writeback) may take.
	closeGrace = time.Second
	// realfsCloseGrace is stopGrace and closeGrace for a real filesystem's
	// target, whose Close unmounts and undoes what it set on the host: that
	// takes seconds, and left undone it is only swept by a later run.
	realfsCloseGrace = 30 * time.Second
)

// progress is what the watchdog sees of a run outside its measurement window,
// where the workers' own counters say nothing: the chunks of prefill, warm-up
// reads and the check completed. It also keeps the measured run while the
// check runs, so that an interrupted check still leaves the measurement. Its
// methods do nothing on nil.
type progress struct {
	n       atomic.Int64
	inMeas  atomic.Bool // the measurement's own watchdog (watch) is on duty
	pending atomic.Pointer[results.Run]
}

func (p *progress) tick() {
	if p != nil {
		p.n.Add(1)
	}
}

func (p *progress) measuring(on bool) {
	if p != nil {
		p.inMeas.Store(on)
	}
}

// measured keeps a copy of run, its check marked not run, until the check ends.
func (p *progress) measured(run *results.Run) {
	if p != nil {
		cp := *run
		cp.Fsck = results.Fsck{NotRun: true}
		p.pending.Store(&cp)
	}
}

// runBounded runs one repetition on tg and closes tg (a target that set up the
// host undoes it there, and its conditions go into the run), never waiting
// without a bound: when ctx ends it gives the run stopGrace to stop, when no
// chunk of prefill or check completes for the watchdog period it declares the
// run stuck (and dumps the stacks), and it gives Close closeGrace. A run left
// behind keeps tg, which is then not closed.
func runBounded(ctx context.Context, cl *cell, rep int, tg target.Target, clk *clock.Clock, o Options) (*results.Run, error) {
	type outcome struct {
		run *results.Run
		err error
	}
	p := &progress{}
	o.progress = p
	ch := make(chan outcome, 1)
	go func() {
		run, err := runTarget(ctx, cl, rep, tg, clk, o)
		ch <- outcome{run, err}
	}()
	stop, grace := stopGrace, closeGrace
	if targetKind(tg.Name()) == TargetRealFS {
		// Left behind, it would leave its mount and host settings to a later
		// run's sweep: let it stop and undo them.
		stop, grace = realfsCloseGrace, realfsCloseGrace
	}
	tick := time.NewTicker(min(o.Watchdog/4, time.Second))
	defer tick.Stop()
	last, lastChange := int64(-1), time.Now()
	var stopBy <-chan time.Time
	done := ctx.Done()
	for {
		select {
		case out := <-ch:
			err := errors.Join(out.err, closeWithin(tg, grace))
			if c, ok := tg.(target.Conditioner); ok && out.run != nil {
				out.run.Conditions = c.Conditions()
			}
			return out.run, err
		case <-done:
			done, stopBy = nil, time.After(stop)
			continue
		case <-stopBy:
			fmt.Fprintf(o.Log, "rwbench: %s: the run did not stop within %v of the interrupt; leaving it\n", cl.strategy, stop)
			return p.pending.Load(), ctx.Err()
		case <-tick.C:
		}
		if n := p.n.Load(); n != last || p.inMeas.Load() {
			last, lastChange = n, time.Now()
			continue
		}
		if stuck := time.Since(lastChange); stuck >= o.Watchdog {
			fmt.Fprintf(o.Log, "rwbench: watchdog: %s: no prefill, warm-up or check chunk completed for %v; stacks follow\n",
				cl.strategy, stuck.Round(time.Millisecond))
			dumpStacks(o.Log)
			return p.pending.Load(), fmt.Errorf("%s: %w for %v", cl.strategy, ErrStalled, o.Watchdog)
		}
	}
}

// closeWithin closes tg, waiting at most d: a target whose store hangs cannot
// finish its last writeback, and is left to the process's exit.
func closeWithin(tg target.Target, d time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- tg.Close() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(d):
		return fmt.Errorf("closing %s took longer than %v (its store does not answer); left open", tg.Name(), d)
	}
}
