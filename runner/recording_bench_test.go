package runner

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
)

// BenchmarkRecording measures what timing and recording every op costs on the
// hit path, more finely than the calibration's hit-norecord phase can: the
// worker loop runs the model's cached 4KiB random reads of a warmed 32MiB file
// for 20ms with record on and for 20ms with record off, 200 times each,
// alternating, on one filesystem in one process, so the host's drift and the
// cache's layout are the same for both (short windows follow the host's
// drift: on a shared host the time per read moves by 20% from minute to
// minute). It reports the median time per read of each and the median of the 200
// paired ratios as the overhead:
//
//	go test -run '^$' -bench Recording -benchtime 1x ./runner
func BenchmarkRecording(b *testing.B) {
	c := testConfig(b, `name: recording
backend: {size: 64MiB}
cache: {size: 256MiB}
files: {count: 1, size: 32MiB, warm: true}
strategies: [invalidate]
verify: header
jobs:
  - {op: read, threads: 1, pattern: rand, bs: 4KiB}
`)
	ws, err := newWorkspace(c)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.close()
	clk := clock.New()
	tg, err := newTarget(c, "invalidate", ws, clk, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer tg.Close()
	or := oracle.New(c.Files.Count, uint64(c.Files.Size)/oracle.PageSize, oracle.Header)
	if err := prefill(b.Context(), tg, or, c, nil); err != nil {
		b.Fatal(err)
	}
	if err := tg.Quiesce(); err != nil {
		b.Fatal(err)
	}
	if err := warm(b.Context(), tg, c, nil); err != nil {
		b.Fatal(err)
	}
	const span, pairs = 20 * time.Millisecond, 200
	on, off, ratios := make([]float64, 0, pairs), make([]float64, 0, pairs), make([]float64, 0, pairs)
	for b.Loop() {
		for i := range pairs {
			// Alternate which goes first, so neither gets the warmer caches.
			first := i%2 == 0
			a := nsPerRead(b, c, tg, or, clk, first, span)
			z := nsPerRead(b, c, tg, or, clk, !first, span)
			if !first {
				a, z = z, a
			}
			on, off, ratios = append(on, a), append(off, z), append(ratios, a/z)
		}
	}
	median := func(x []float64) float64 { return results.EstimateOf(x, results.DefaultConfidence).Median }
	b.ReportMetric(median(on), "ns/read-on")
	b.ReportMetric(median(off), "ns/read-off")
	b.ReportMetric(100*(median(ratios)-1), "%overhead")
}

// nsPerRead runs the worker loop for span with record on or off and returns
// the time it ran over the reads.
func nsPerRead(b *testing.B, c *config.Config, tg target.Target, or *oracle.Oracle, clk *clock.Clock, record bool, span time.Duration) float64 {
	rc := c.Clone()
	rc.Record = &record
	run := clk.Restart()
	start := run.Base()
	win := &window{}
	w, err := newWorker(rc, 0, 0, tg, or, win, run, start, start.Add(span))
	if err != nil {
		b.Fatal(err)
	}
	defer w.target.Close()
	ctx, cancel := context.WithDeadline(b.Context(), start.Add(span))
	defer cancel()
	win.open.Store(true)
	stop := time.AfterFunc(time.Until(start.Add(span)), func() { win.shut.Store(true) })
	defer stop.Stop()
	began := time.Now()
	w.loop(ctx)
	elapsed := time.Since(began) // the timer that shuts an unclocked window can fire late
	ops := w.counted.ops
	if record {
		ops = w.rec.Snapshot().Count
	}
	if w.firstErr != nil || ops == 0 {
		b.Fatalf("%d reads, error %v", ops, w.firstErr)
	}
	return float64(elapsed) / float64(ops)
}
