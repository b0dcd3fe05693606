package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
)

// runTarget runs one repetition of one cell on tg, which it does not close:
// prefill, warm-up and measurement under the watchdog, then the checks. A run
// interrupted before its measurement window opened measured nothing and is
// returned as nil with the context's error. The workers time their ops on clk,
// restarted at the run's start.
func runTarget(ctx context.Context, cl *cell, rep int, tg target.Target, clk *clock.Clock, o Options) (run *results.Run, err error) {
	c := cl.cfg
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	level, err := oracle.ParseLevel(c.Verify)
	if err != nil {
		return nil, err
	}
	mem := beginMemory(memoryLimit(cl))
	defer func() {
		if p := mem.end(); run != nil {
			run.PeakRSSBytes = p
		}
	}()
	or := oracle.New(c.Files.Count, uint64(c.Files.Size)/oracle.PageSize, level)
	if err := setUp(ctx, cl, tg, or, o); err != nil {
		return nil, err
	}

	clk = clk.Restart() // the run's clock: its base is the run's start
	o.Progress.Phase(PhaseWarmup)
	sp := newSpan(c, clk.Base())
	runCtx, cancel := context.WithDeadline(ctx, sp.measureEnd)
	defer cancel()
	win := &window{}
	workers, err := makeWorkers(cl, tg, or, win, clk, sp)
	if err != nil {
		return nil, err
	}
	// The oracle drops what no read can need any more, once the workers' reads
	// in flight have ended (grace.go); it stops before the final check.
	stopRetiring := or.StartRetiring(workerReaders(workers))
	defer stopRetiring()
	done := startWorkers(runCtx, workers)
	locks0 := openWindow(runCtx, tg, sp.measureStart, o.Progress)
	smp := startSamplers(runCtx, c, win, workers, sp.measureStart)
	o.progress.measuring(true)
	err = watch(done, workers, o)
	o.progress.measuring(false)
	if err != nil {
		cancel()
		return nil, err // the stuck workers cannot be joined
	}
	stopRetiring()

	run = &results.Run{Rep: rep, Started: sp.measureStart.UTC(), DurationNs: int64(c.Duration.D())}
	end := time.Now()
	interrupted := end.Before(sp.measureEnd)
	if interrupted {
		run.DurationNs = int64(max(end.Sub(sp.measureStart), time.Millisecond))
	}
	closeWindow(run, tg, <-locks0)
	closeErr := closeWorkers(workers)
	counts := smp.counts()
	if interrupted && ctx.Err() != nil && !end.After(sp.measureStart) {
		return nil, ctx.Err() // interrupted in the warm-up: nothing was measured
	}
	if err := collectRun(run, c, workers, counts); err != nil {
		return nil, err
	}
	cancel() // the sampler's end, if the workers ended before the window
	addRSS(run, <-smp.rss)
	run.Verify = or.Verify()
	run.Verify.ByJob = findingsByJob(workers)
	if v, ok := tg.(target.Violationer); ok {
		run.Violations = capViolations(v.Violations())
	}
	if ctx.Err() != nil {
		run.Fsck.NotRun = true
		return run, ctx.Err()
	}
	return check(ctx, run, tg, or, c, o, closeErr)
}

// memoryLimit is the soft memory limit of a cell's runs: the model, whose
// cache is Go memory, runs under its cache plus headroom; 0 (none) otherwise.
func memoryLimit(cl *cell) int64 {
	if cl.res.Target != "model" {
		return 0
	}
	c := cl.cfg
	limit := int64(c.Cache.Size) + modelHeadroom
	if c.Backend.Kind == blockdev.KindMemory {
		limit += int64(c.Backend.Size) // the store's blocks are Go memory too
	}
	return limit
}

// setUp prefills the files (unless the config says not to), drops the cache
// and warms it if asked: the state every run of a cell starts from.
func setUp(ctx context.Context, cl *cell, tg target.Target, or *oracle.Oracle, o Options) error {
	c := cl.cfg
	if c.Files.Prefill == nil || *c.Files.Prefill {
		o.Progress.Phase(PhasePrefill)
		if err := prefill(ctx, tg, or, c, o.progress); err != nil {
			return fmt.Errorf("%s: prefill: %w", cl.strategy, err)
		}
	}
	if err := tg.Quiesce(); err != nil {
		return fmt.Errorf("%s: %w", cl.strategy, err)
	}
	if c.Files.Warm {
		if err := warm(ctx, tg, c, o.progress); err != nil {
			return fmt.Errorf("%s: warm: %w", cl.strategy, err)
		}
	}
	return ctx.Err() // interrupted while setting up: nothing to measure
}

// span is a run's measurement window: a run starts, warms up until
// measureStart, and measures until measureEnd.
type span struct {
	measureStart, measureEnd time.Time
}

// newSpan is the window of a run of c that starts at start.
func newSpan(c *config.Config, start time.Time) span {
	ms := start.Add(c.Warmup.D())
	return span{measureStart: ms, measureEnd: ms.Add(c.Duration.D())}
}

// makeWorkers makes every job's threads on tg, within the setup budget
// (sizing.go); on an error it closes those it made.
func makeWorkers(cl *cell, tg target.Target, or *oracle.Oracle, win *window, clk *clock.Clock, sp span) ([]*worker, error) {
	c := cl.cfg
	budget := newSetupBudget(c)
	var workers []*worker
	fail := func(err error) ([]*worker, error) {
		closeWorkers(workers) // the error that stopped the making is the one to report
		return nil, err
	}
	for ji, job := range c.Jobs {
		for th := 0; th < job.Threads; th++ {
			w, err := newWorker(c, ji, th, tg, or, win, clk, sp.measureStart, sp.measureEnd)
			if err != nil {
				return fail(fmt.Errorf("%s: jobs[%d]: %w", cl.strategy, ji, err))
			}
			workers = append(workers, w)
			if err := budget.created(); err != nil {
				return fail(fmt.Errorf("%s: %w", cl.strategy, err))
			}
		}
	}
	return workers, nil
}

// closeWorkers closes the workers' target workers and joins their errors.
func closeWorkers(workers []*worker) error {
	var err error
	for _, w := range workers {
		err = errors.Join(err, w.target.Close())
	}
	return err
}

// startWorkers runs each worker's loop in a goroutine of its own until ctx
// ends; the channel closes when every loop has returned.
func startWorkers(ctx context.Context, workers []*worker) <-chan struct{} {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// samplers sample a run's measurement window: the resident set always, and
// for record: false the ops each worker completed per interval, opening and
// shutting the window for the workers that read no clock.
type samplers struct {
	series chan sampled // nil when the workers record
	rss    chan []int64
}

// startSamplers starts the samplers of the window that opens at start; they
// end with ctx.
func startSamplers(ctx context.Context, c *config.Config, win *window, workers []*worker, start time.Time) samplers {
	var s samplers
	if !c.Recording() {
		s.series = make(chan sampled, 1)
		go func() { s.series <- sampleWindow(ctx, win, workers, start, c.Interval.D()) }()
	}
	s.rss = make(chan []int64, 1)
	go func() { s.rss <- sampleRSS(ctx, start, c.Interval.D(), intervalCount(c)) }()
	return s
}

// counts waits for the ops sampled per worker and interval; none when the
// workers record.
func (s samplers) counts() sampled {
	if s.series == nil {
		return sampled{}
	}
	return <-s.series
}

// openWindow, in a goroutine, waits for the measurement window to open at
// at (or for ctx to end first), tells progress, starts what tg measures over
// the window itself and sends the lock statistics at the window's start.
func openWindow(ctx context.Context, tg target.Target, at time.Time, p Progress) <-chan []results.LockStat {
	locks0 := make(chan []results.LockStat, 1)
	go func() {
		select {
		case <-time.After(time.Until(at)):
			p.Phase(PhaseMeasure)
		case <-ctx.Done():
		}
		if wm, ok := tg.(target.WindowMeasurer); ok {
			wm.StartWindow() // before locks0 is sent, so EndWindow comes after it
		}
		locks0 <- lockStats(tg)
	}()
	return locks0
}

// closeWindow puts into run the lock use over the window (since locks0) and
// what tg measured over it itself.
func closeWindow(run *results.Run, tg target.Target, locks0 []results.LockStat) {
	run.Locks = results.DiffLocks(locks0, lockStats(tg))
	if wm, ok := tg.(target.WindowMeasurer); ok {
		wm.EndWindow(run)
	}
}

// check runs the after-run check of a measured run: the target's own and
// every page's content (fsck). closeErr, the workers' failures to close, fails
// it too.
func check(ctx context.Context, run *results.Run, tg target.Target, or *oracle.Oracle, c *config.Config, o Options, closeErr error) (*results.Run, error) {
	o.progress.measured(run) // what an interrupt during the check still has
	o.Progress.Phase(PhaseCheck)
	run.Fsck = fsck(ctx, tg, or, c, o.progress)
	if run.Fsck.NotRun {
		return run, ctx.Err()
	}
	if closeErr != nil {
		run.Fsck.Ok = false
		run.Fsck.Errors = append(run.Fsck.Errors, closeErr.Error())
	}
	run.Verify.Corrupt += int64(len(run.Fsck.Errors))
	return run, nil
}
