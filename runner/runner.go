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
//
// The files: matrix.go expands the cells; runner.go runs them in turn;
// run.go is one run (bounded.go bounds how long it may take to stop);
// setup.go prefills, warms and, after the run, checks the files; worker.go is
// a worker's loop; watchdog.go stops a stuck run and dumps it; sample.go
// samples the window, collect.go turns what the workers counted into the
// run's figures. What a target must and may implement is package target.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/results"
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
