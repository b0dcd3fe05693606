// Package runner runs a config: it expands the matrix of strategies (and
// targets) by sweep values, and for each repetition runs every cell in turn
// (A B C A B C ..., so drift on a shared machine spreads over all cells), each
// on a freshly formatted store with prefilled files and a cold cache. A run
// warms up, measures, then quiesces and checks: the oracle's findings during the
// run, and after it a fsck of the block maps and of every page's content.
//
// Every worker goroutine owns its generator, pacer, latency recorders and oracle
// checker, so measurement shares no cache line between workers; the runner
// merges them when the run ends.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/vfs"
	"github.com/rwbench/rwbench/workload"
)

// Options are how a run reports beyond its results.
type Options struct {
	Version string
	// Progress is told of each run and phase (progress.go); nil for none.
	Progress Progress
	// Log receives warnings and the watchdog's dump (stderr).
	Log io.Writer
	// Watchdog is how long no operation may complete before the run is declared
	// stuck; default the config's watchdog, else 10s.
	Watchdog time.Duration
	// Cleanup, when set, is told of the temporary files a run makes, so that a
	// process that must exit at once can still remove them.
	Cleanup *Cleanup

	// progress counts the chunks of prefill, warm-up reads and check, for the
	// watchdog outside the measurement (set by runOnce).
	progress *progress
}

// ErrStalled is returned when the watchdog found no operation completing.
var ErrStalled = errors.New("watchdog: no operation completed")

// cell is one point of the matrix.
type cell struct {
	cfg      *config.Config
	strategy string
	res      *results.Cell
}

// Run runs the config c, which must have passed Defaults and Validate. On
// cancellation (SIGINT) it returns what was gathered, marked partial, with the
// context's error; on a stall, the results so far with ErrStalled.
func Run(ctx context.Context, c *config.Config, o Options) (*results.File, error) {
	if o.Watchdog <= 0 {
		o.Watchdog = c.Watchdog.D()
	}
	if o.Watchdog <= 0 {
		o.Watchdog = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	f := &results.File{Schema: results.Schema, RWBench: o.Version, Started: time.Now().UTC(),
		Name: c.Name, Config: c.JSON()}
	ws, err := newWorkspace(c)
	if err != nil {
		return nil, err
	}
	o.Cleanup.add(ws.tmpDir)
	defer o.Cleanup.remove(ws.tmpDir)
	defer ws.close()
	fsType := c.Backend.Kind
	if c.Backend.Kind == "file" {
		fsType = ""
	}
	f.Machine = machine.Describe(ws.dir, fsType)
	// The clock that times the ops: calibrated once (about 20 ms), restarted at
	// each run's start.
	clk := clock.New()
	f.Machine.Clock, f.Machine.TSCHz = clk.Source(), int64(math.Round(clk.Hz()))

	cells, err := expand(c)
	if err != nil {
		return nil, err
	}
	for _, cl := range cells {
		f.Results = append(f.Results, *cl.res)
	}
	total := len(cells) * c.Repeat
	var runErr error
loop:
	for rep := 0; rep < c.Repeat; rep++ {
		for i, cl := range cells {
			if err := ctx.Err(); err != nil {
				runErr = err // interrupted between runs: start no other
				break loop
			}
			o.Progress.Run(RunInfo{Index: rep*len(cells) + i + 1, Total: total, Strategy: cl.strategy,
				Params: cl.res.Params, Rep: rep + 1, Reps: c.Repeat, Warmup: cl.cfg.Warmup.D(), Duration: cl.cfg.Duration.D()})
			run, err := runOnce(ctx, cl, rep, ws, clk, o)
			if run != nil {
				f.Results[i].Runs = append(f.Results[i].Runs, *run)
			}
			if err != nil {
				runErr = err
				break loop
			}
		}
	}
	for i := range f.Results {
		results.Summarize(&f.Results[i], 0.95)
	}
	f.Finished = time.Now().UTC()
	switch {
	case runErr == nil:
	case errors.Is(runErr, context.Canceled):
		f.Partial = true
	case errors.Is(runErr, ErrStalled):
		f.Partial = true
		f.Failed = runErr.Error()
	default:
		f.Failed = runErr.Error()
	}
	return f, runErr
}

// expand makes the cells: sweep points (outer) by strategies (inner). A point
// of a sweep by sets runs the strategies its own config lists, so a phase can
// leave out a target that does not apply to it.
func expand(c *config.Config) ([]*cell, error) {
	points, err := c.Points()
	if err != nil {
		return nil, err
	}
	var cells []*cell
	for _, p := range points {
		for _, s := range p.Config.Strategies {
			cells = append(cells, &cell{cfg: p.Config, strategy: s,
				res: &results.Cell{Strategy: s, Target: targetKind(s), Params: p.Params}})
		}
	}
	return cells, nil
}

// allStrategies lists every strategy and target any cell of c runs.
func allStrategies(c *config.Config) []string {
	all := slices.Clone(c.Strategies)
	points, err := c.Points()
	if err != nil {
		return all
	}
	for _, p := range points {
		for _, s := range p.Config.Strategies {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	return all
}

// runOnce runs one repetition of one cell on a fresh target, timed on clk,
// and closes the target whatever happened: a target that set up the host
// (realfs.go) undoes it there, and records what it set.
func runOnce(ctx context.Context, cl *cell, rep int, ws *workspace, clk *clock.Clock, o Options) (run *results.Run, err error) {
	tg, err := newTarget(cl.cfg, cl.strategy, ws, clk, o.Log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.strategy, err)
	}
	run, err = runBounded(ctx, cl, rep, tg, clk, o)
	logErrors(o.Log, cl, rep, run)
	return run, err
}

// runTarget runs one repetition of one cell on tg, which it does not close:
// prefill, warm-up and measurement under the watchdog, then the checks. A run
// interrupted before its measurement window opened measured nothing and is
// returned as nil with the context's error. The workers time their ops on clk,
// restarted at the run's start.
func runTarget(ctx context.Context, cl *cell, rep int, tg Target, clk *clock.Clock, o Options) (run *results.Run, err error) {
	c := cl.cfg
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	level, err := oracle.ParseLevel(c.Verify)
	if err != nil {
		return nil, err
	}
	// The run's peak RSS; the model, whose cache is Go memory, runs under a soft
	// memory limit of its cache plus headroom.
	var limit int64
	if cl.res.Target == "model" {
		limit = int64(c.Cache.Size) + modelHeadroom
		if c.Backend.Kind == blockdev.KindMemory {
			limit += int64(c.Backend.Size) // the store's blocks are Go memory too
		}
	}
	mem := beginMemory(limit)
	defer func() {
		if p := mem.end(); run != nil {
			run.PeakRSSBytes = p
		}
	}()
	pages := uint64(c.Files.Size) / oracle.PageSize
	or := oracle.New(c.Files.Count, pages, level)
	if c.Files.Prefill == nil || *c.Files.Prefill {
		o.Progress.Phase(PhasePrefill)
		if err := prefill(ctx, tg, or, c, o.progress); err != nil {
			return nil, fmt.Errorf("%s: prefill: %w", cl.strategy, err)
		}
	}
	if err := tg.Quiesce(); err != nil {
		return nil, fmt.Errorf("%s: %w", cl.strategy, err)
	}
	if c.Files.Warm {
		if err := warm(ctx, tg, c, o.progress); err != nil {
			return nil, fmt.Errorf("%s: warm: %w", cl.strategy, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted while setting up: nothing to measure
	}

	clk = clk.Restart() // the run's clock: its base is the run's start
	o.Progress.Phase(PhaseWarmup)
	start := clk.Base()
	measureStart := start.Add(c.Warmup.D())
	measureEnd := measureStart.Add(c.Duration.D())
	runCtx, cancel := context.WithDeadline(ctx, measureEnd)
	defer cancel()
	win := &window{}
	budget := newSetupBudget(c)
	var workers []*worker
	for ji, job := range c.Jobs {
		for th := 0; th < job.Threads; th++ {
			w, err := newWorker(c, ji, th, tg, or, win, clk, measureStart, measureEnd)
			if err != nil {
				for _, w := range workers {
					w.w.Close()
				}
				return nil, fmt.Errorf("%s: jobs[%d]: %w", cl.strategy, ji, err)
			}
			workers = append(workers, w)
			if err := budget.created(); err != nil {
				for _, w := range workers {
					w.w.Close()
				}
				return nil, fmt.Errorf("%s: %w", cl.strategy, err)
			}
		}
	}
	// The oracle drops what no read can need any more, once the workers' reads
	// in flight have ended (grace.go); it stops before the final check.
	stopRetiring := or.StartRetiring(workerReaders(workers))
	defer stopRetiring()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(runCtx)
		}()
	}
	locks0 := make(chan []results.LockStat, 1)
	pool0 := make(chan results.BufferPool, 1)
	pauses0 := make(chan vfs.DirtyPauses, 1)
	go func() {
		select {
		case <-time.After(time.Until(measureStart)):
			o.Progress.Phase(PhaseMeasure)
		case <-runCtx.Done():
		}
		if wt, ok := tg.(windowTracer); ok {
			wt.StartWindow() // before locks0 is sent, so EndWindow comes after it
		}
		locks0 <- lockStats(tg)
		if bp, ok := tg.(bufferPooler); ok {
			pool0 <- bp.BufferPool()
		}
		if dp, ok := tg.(dirtyPauser); ok {
			pauses0 <- dp.DirtyPauses()
		}
	}()
	var series chan sampled
	if !c.Recording() {
		// Open and shut the window for the workers that read no clock, and
		// sample the ops completed per interval.
		series = make(chan sampled, 1)
		go func() { series <- sampleWindow(runCtx, win, workers, measureStart, c.Interval.D()) }()
	}
	intervals := intervalCount(c)
	rss := make(chan []int64, 1)
	go func() { rss <- sampleRSS(runCtx, measureStart, c.Interval.D(), intervals) }()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	o.progress.measuring(true)
	err = watch(done, workers, o)
	o.progress.measuring(false)
	if err != nil {
		cancel()
		return nil, err // the stuck workers cannot be joined
	}
	stopRetiring()
	run = &results.Run{Rep: rep, Started: measureStart.UTC(), DurationNs: int64(c.Duration.D())}
	end := time.Now()
	interrupted := end.Before(measureEnd)
	if interrupted {
		run.DurationNs = int64(max(end.Sub(measureStart), time.Millisecond))
	}
	run.Locks = results.DiffLocks(<-locks0, lockStats(tg))
	if wt, ok := tg.(windowTracer); ok {
		wt.EndWindow(run)
	}
	if bp, ok := tg.(bufferPooler); ok {
		start, end := <-pool0, bp.BufferPool()
		run.BufferPool = &results.BufferPool{Slabs: end.Slabs,
			Throttled: end.Throttled - start.Throttled, Loose: end.Loose - start.Loose}
	}
	if dp, ok := tg.(dirtyPauser); ok {
		p := dp.DirtyPauses().Since(<-pauses0)
		run.DirtyPauses = &results.Pauses{Count: p.Count, TotalNs: p.TotalNs, P99Ns: p.P99Ns, MaxNs: p.MaxNs}
	}
	var closeErr error
	for _, w := range workers {
		closeErr = errors.Join(closeErr, w.w.Close())
	}
	var counts sampled
	if series != nil {
		counts = <-series
	}
	if interrupted && ctx.Err() != nil && !end.After(measureStart) {
		return nil, ctx.Err() // interrupted in the warm-up: nothing was measured
	}
	if c.Recording() {
		err = collect(run, workers, c)
	} else {
		err = collectCounts(run, workers, c, counts)
	}
	if err != nil {
		return nil, err
	}
	markStalled(run)
	run.FirstError = firstError(workers)
	cancel() // the sampler's end, if the workers ended before the window
	for i, b := range <-rss {
		if i < len(run.Intervals) {
			run.Intervals[i].RSSBytes = b
		}
	}
	run.Verify = or.Verify()
	run.Verify.ByJob = findingsByJob(workers)
	if v, ok := tg.(violationer); ok {
		run.Violations = capViolations(v.Violations())
	}
	if ctx.Err() != nil {
		run.Fsck.NotRun = true
		return run, ctx.Err()
	}
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

// watch waits for the workers, and fails the run if no operation completes for
// the watchdog period while some worker is inside one.
func watch(done <-chan struct{}, workers []*worker, o Options) error {
	tick := time.NewTicker(min(o.Watchdog/4, time.Second))
	defer tick.Stop()
	var last int64 = -1
	lastChange := time.Now()
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
		}
		var n int64
		busy := false
		for _, w := range workers {
			n += w.done.Load()
			busy = busy || w.inOp.Load() != 0
		}
		// One worker stuck in one op (a hung I/O) is stuck even while the
		// others complete theirs: the kernel's hung-task check, per task.
		if hung := hungWorker(workers, o.Watchdog); hung >= 0 {
			dump(o.Log, workers, o.Watchdog)
			return fmt.Errorf("%w by worker %d (jobs[%d] %s) for %v", ErrStalled, hung, workers[hung].job, workers[hung].op, o.Watchdog)
		}
		if n != last || !busy {
			last, lastChange = n, time.Now()
			continue
		}
		if time.Since(lastChange) >= o.Watchdog {
			dump(o.Log, workers, time.Since(lastChange))
			return fmt.Errorf("%w for %v", ErrStalled, o.Watchdog)
		}
	}
}

// heldLocker is a worker that can say which locks it holds (the model's Task).
type heldLocker interface{ Held() string }

func dump(w io.Writer, workers []*worker, stalled time.Duration) {
	fmt.Fprintf(w, "rwbench: watchdog: no operation completed for %v; held locks and stacks follow\n", stalled.Round(time.Millisecond))
	for i, wk := range workers {
		since := wk.inOp.Load()
		state := "idle"
		if since == untimed {
			state = fmt.Sprintf("in %s (not timed: record is off)", wk.op)
		} else if since != 0 {
			state = fmt.Sprintf("in %s for %v", wk.op, time.Since(time.Unix(0, since)).Round(time.Millisecond))
		}
		held := ""
		if h, ok := wk.w.(heldLocker); ok {
			held = h.Held() // the model's Task synchronizes with its stuck owner
		}
		fmt.Fprintf(w, "worker %d (jobs[%d] %s): %s; holds: %s\n", i, wk.job, wk.op, state, held)
	}
	dumpStacks(w)
}

func lockStats(t Target) []results.LockStat {
	if ls, ok := t.(lockStater); ok {
		return ls.LockStats()
	}
	return nil
}

// capViolations keeps the first results.MaxViolations findings and counts the others.
func capViolations(vs []string) []string {
	if len(vs) <= results.MaxViolations {
		return vs
	}
	return append(vs[:results.MaxViolations:results.MaxViolations], fmt.Sprintf("... and %d more", len(vs)-results.MaxViolations))
}

// intervalCount is how many intervals the measurement window has (the last may
// be partial).
func intervalCount(c *config.Config) int {
	return int(int64(c.Duration.D()+c.Interval.D()-1) / int64(c.Interval.D()))
}

// findingsByJob sums the workers' findings by job key when some job's key is
// its name (two jobs run one op); nil otherwise, when Verify.ByOp says it.
func findingsByJob(workers []*worker) map[string]results.Findings {
	if !slices.ContainsFunc(workers, func(w *worker) bool { return w.key != w.op }) {
		return nil
	}
	by := map[string]results.Findings{}
	for _, w := range workers {
		f, g := by[w.key], w.chk.Findings()
		f.Stale += g.Stale
		f.Foreign += g.Foreign
		f.Torn += g.Torn
		by[w.key] = f
	}
	return by
}

// collect merges the workers' recorders into the run's op figures.
func collect(run *results.Run, workers []*worker, c *config.Config) error {
	byOp := map[string][]*workload.Recorder{}
	opOf := map[string]string{}
	var ops []string
	for _, w := range workers {
		if _, ok := byOp[w.key]; !ok {
			ops = append(ops, w.key)
		}
		byOp[w.key] = append(byOp[w.key], w.rec)
		opOf[w.key] = w.opField()
	}
	secs := float64(run.DurationNs) / 1e9
	run.Ops = map[string]results.OpStats{}
	var series = map[string][]int64{}
	for _, op := range ops {
		rec, err := workload.Merge(byOp[op]...)
		if err != nil {
			return err
		}
		s := rec.Snapshot()
		run.Ops[op] = results.OpStats{Op: opOf[op], Count: s.Count, Bytes: s.Bytes, Errors: s.Errors,
			OpsPerSec: float64(s.Count) / secs, BytesPerSec: float64(s.Bytes) / secs,
			LatencyNs: results.Latency{Min: float64(s.Min), Mean: s.Mean, Max: float64(s.Max), Stddev: s.Stddev,
				P50: float64(s.P50), P90: float64(s.P90), P99: float64(s.P99), P999: float64(s.P999), P9999: float64(s.P9999)}}
		series[op] = rec.Intervals()
	}
	n := intervalCount(c)
	for i := 0; i < n; i++ {
		iv := results.Interval{StartNs: int64(i) * int64(c.Interval.D()), Ops: map[string]int64{}}
		for op, s := range series {
			if i < len(s) {
				iv.Ops[op] = s[i]
			} else {
				iv.Ops[op] = 0
			}
		}
		run.Intervals = append(run.Intervals, iv)
	}
	return nil
}

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
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			sample()
		case <-ctx.Done():
			win.shut.Store(true)
			out.window = time.Since(opened)
			sample()
			return out
		}
	}
}

// collectCounts is collect for record: false: the ops, bytes and errors the
// workers counted, over the window they counted in (the flags' window for a
// closed loop, the schedule's for an open one), and the sampled series. There
// are no latencies.
func collectCounts(run *results.Run, workers []*worker, c *config.Config, s sampled) error {
	run.NoLatency = true
	nominal := float64(run.DurationNs) / 1e9
	n := intervalCount(c)
	run.Ops = map[string]results.OpStats{}
	series := map[string][]int64{}
	for i, w := range workers {
		secs := nominal
		if w.closed && s.window > 0 {
			secs = min(s.window.Seconds(), nominal)
		}
		st := run.Ops[w.key]
		st.Op = w.opField()
		st.Count += w.counted.ops
		st.Bytes += w.counted.bytes
		st.Errors += w.counted.errors
		if secs > 0 {
			st.OpsPerSec += float64(w.counted.ops) / secs
			st.BytesPerSec += float64(w.counted.bytes) / secs
		}
		run.Ops[w.key] = st
		if _, ok := series[w.key]; !ok {
			series[w.key] = make([]int64, n)
		}
		if i < len(s.perWorker) {
			for j, v := range s.perWorker[i] {
				series[w.key][min(j, n-1)] += v // a late last tick folds into the last interval
			}
		}
	}
	for i := 0; i < n; i++ {
		iv := results.Interval{StartNs: int64(i) * int64(c.Interval.D()), Ops: map[string]int64{}}
		for op, v := range series {
			iv.Ops[op] = v[i]
		}
		run.Intervals = append(run.Intervals, iv)
	}
	return nil
}

// warm reads every file in full, in 1 MiB reads, one goroutine per file (at
// most GOMAXPROCS), so that the run starts with the files cached as far as the
// target's cache holds them (config files.warm).
func warm(ctx context.Context, tg Target, c *config.Config, p *progress) error {
	return eachChunk(tg, c, func(w Worker, file int, off int64, buf []byte) error {
		if ctx.Err() != nil {
			return nil
		}
		_, err := w.Read(file, off, buf)
		p.tick()
		return err
	})
}

// eachChunk calls do for every 1 MiB chunk of every file, one goroutine per
// file (at most GOMAXPROCS at once), each with a worker of its own; do gets the
// chunk's buffer to fill or read into. A file stops at its first error.
func eachChunk(tg Target, c *config.Config, do func(w Worker, file int, off int64, buf []byte) error) error {
	const chunk = 256 * oracle.PageSize
	errs := make([]error, c.Files.Count)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var workerErr error // NewWorker's, from any goroutine
	for range min(c.Files.Count, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := tg.NewWorker()
			if err != nil {
				mu.Lock()
				workerErr = errors.Join(workerErr, err)
				mu.Unlock()
				return
			}
			defer w.Close()
			buf := alignedBuffer(chunk)
			for {
				file := int(next.Add(1) - 1)
				if file >= c.Files.Count {
					return
				}
				for off := int64(0); off < int64(c.Files.Size); off += chunk {
					n := min(chunk, int64(c.Files.Size)-off)
					if err := do(w, file, off, buf[:n]); err != nil {
						errs[file] = err
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(workerErr, errors.Join(errs...))
}

// prefill writes every page of every file with a stamped value, one goroutine
// per file, in 1 MiB writes; it stops early (with ctx's error) when ctx ends.
func prefill(ctx context.Context, tg Target, or *oracle.Oracle, c *config.Config, p *progress) error {
	return eachChunk(tg, c, func(w Worker, file int, off int64, buf []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		defer p.tick()
		first := uint64(off / oracle.PageSize)
		n := uint64(len(buf) / oracle.PageSize)
		gens := make([]uint64, n)
		for i := range n {
			gens[i] = or.BeginWrite(file, first+i)
			oracle.Fill(buf[i*oracle.PageSize:(i+1)*oracle.PageSize], uint32(file+1), first+i, gens[i])
		}
		_, err := w.Write(file, off, buf)
		for i := range n {
			or.EndWrite(file, first+i, gens[i])
		}
		return err
	})
}

// userFile reports whether file is the mapped user buffer of a read job
// (user_buffer: mmap).
func userFile(c *config.Config, file int) bool {
	return slices.ContainsFunc(c.Jobs, func(j config.Job) bool { return j.UserBuffer == "mmap" && j.UserFile == file })
}

// fsck checks the target after the run: its own structural check, then every
// page's content, read cold, against the oracle's final state. A read or
// writeback that fails is an I/O error of the check, not a finding. When ctx
// ends first, the check is recorded as not run.
func fsck(ctx context.Context, tg Target, or *oracle.Oracle, c *config.Config, p *progress) results.Fsck {
	var f results.Fsck
	const maxErrs = 20
	more, moreIO := 0, 0
	add := func(s string) {
		if len(f.Errors) < maxErrs {
			f.Errors = append(f.Errors, s)
		} else {
			more++
		}
	}
	addIO := func(s string) {
		if len(f.IOErrors) < maxErrs {
			f.IOErrors = append(f.IOErrors, s)
		} else {
			moreIO++
		}
	}
	if err := tg.Quiesce(); err != nil {
		addIO("quiesce: " + err.Error())
	}
	for _, s := range tg.Check() {
		add(s)
	}
	if or.Level() != oracle.Off {
		w, err := tg.NewWorker()
		if err != nil {
			add(err.Error())
		} else {
			const chunk = 256 * oracle.PageSize
			buf := alignedBuffer(chunk)
		files:
			for file := 0; file < c.Files.Count; file++ {
				if userFile(c, file) {
					continue // holds what reads copied into it, not what the oracle knows
				}
				for off := int64(0); off < int64(c.Files.Size); off += chunk {
					if ctx.Err() != nil {
						f.NotRun = true
						break files
					}
					n := min(chunk, int64(c.Files.Size)-off)
					got, err := w.Read(file, off, buf[:n])
					p.tick()
					if err != nil {
						addIO(fmt.Sprintf("file %d offset %d: %v", file, off, err))
						continue
					}
					clear(buf[got:n])
					for i := int64(0); i < n/oracle.PageSize; i++ {
						if err := or.CheckFinal(file, uint64(off/oracle.PageSize+i), buf[i*oracle.PageSize:(i+1)*oracle.PageSize]); err != nil {
							add(err.Error())
						}
					}
				}
			}
			if err := w.Close(); err != nil {
				add(err.Error())
			}
		}
	}
	if more > 0 {
		f.Errors = append(f.Errors, fmt.Sprintf("... and %d more", more))
	}
	if moreIO > 0 {
		f.IOErrors = append(f.IOErrors, fmt.Sprintf("... and %d more", moreIO))
	}
	f.Ok = len(f.Errors) == 0 && len(f.IOErrors) == 0 && !f.NotRun
	return f
}
