package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
	"github.com/rwbench/rwbench/workload"
)

// pacedConfig has only open-loop jobs, so the bubble's clock can advance.
const pacedConfig = `name: paced
backend: {kind: memory, size: 4MiB}
cache: {size: 512KiB}
files: {count: 2, size: 256KiB}
strategies: [none]
duration: 1s
warmup: 0s
interval: 500ms
verify: full
jobs:
  - {op: read, threads: 1, rate: 3}
  - {op: write, threads: 1, rate: 2, files: "1"}
`

// TestRunTargetOpenLoop: with open-loop jobs only, every worker returns as soon
// as its next op would start after the window, which is before the window
// ends; the run's duration must still be the configured one, so ops/s is the
// configured rate.
func TestRunTargetOpenLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := testConfig(t, pacedConfig)
		tg := newFakeTarget(c, 0)
		run, err := runFake(t.Context(), c, tg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if run.DurationNs != int64(time.Second) {
			t.Errorf("duration_ns = %d, want %d", run.DurationNs, int64(time.Second))
		}
		for op, want := range map[string]struct {
			count int64
			rate  float64
		}{"read": {3, 3}, "write": {2, 2}} {
			s := run.Ops[op]
			if s.Count != want.count || s.OpsPerSec != want.rate {
				t.Errorf("%s: count %d, ops/s %v; want %d, %v", op, s.Count, s.OpsPerSec, want.count, want.rate)
			}
			if s.BytesPerSec != float64(s.Bytes)/1 || s.Bytes != want.count*4096 {
				t.Errorf("%s: bytes %d, bytes/s %v", op, s.Bytes, s.BytesPerSec)
			}
		}
		// Two 500 ms intervals: read ops at 0, 333 and 667 ms, writes at 0 and 500 ms.
		want := []results.Interval{
			{StartNs: 0, Ops: map[string]int64{"read": 2, "write": 1}},
			{StartNs: int64(500 * time.Millisecond), Ops: map[string]int64{"read": 1, "write": 1}},
		}
		for i := range run.Intervals { // the resident set is the process's: only sampled
			if run.Intervals[i].RSSBytes <= 0 {
				t.Errorf("interval %d: no resident set sampled", i)
			}
			run.Intervals[i].RSSBytes = 0
		}
		if !reflect.DeepEqual(run.Intervals, want) {
			t.Errorf("intervals = %+v, want %+v", run.Intervals, want)
		}
		if !run.Fsck.Ok || run.Verify.Checked == 0 || run.Verify.Wrong() != 0 {
			t.Errorf("fsck %+v, verify %+v: want a clean, checked run", run.Fsck, run.Verify)
		}
		// A prefill worker per file (up to GOMAXPROCS), 2 job workers and the
		// fsck's reader, all closed.
		nw := int64(min(2, runtime.GOMAXPROCS(0)) + 3)
		if n, closed := tg.workers.Load(), tg.closed.Load(); n != closed || n != nw {
			t.Errorf("%d workers made, %d closed; want %d and %d", n, closed, nw, nw)
		}
	})
}

// TestRunTargetInterrupted: cancelling in the measurement window gives the run
// so far, its duration cut at the interrupt; cancelling in the warm-up gives no
// run (nothing was measured).
func TestRunTargetInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		warmup   time.Duration
		duration time.Duration // of the run returned; 0: no run
	}{
		{"in the window", 100 * time.Millisecond, 200 * time.Millisecond},
		{"in the warm-up", time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := testConfig(t, pacedConfig)
				if err := c.Set("warmup", tc.warmup.String()); err != nil {
					t.Fatal(err)
				}
				if err := c.Set("jobs[0].rate", "1000"); err != nil {
					t.Fatal(err)
				}
				tg := newFakeTarget(c, 0)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(300*time.Millisecond, cancel)
				start := time.Now()
				run, err := runFake(ctx, c, tg, Options{})
				if d := time.Since(start); d != 300*time.Millisecond {
					t.Errorf("returned %v after the start, want at the interrupt (300ms)", d)
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if n, closed := tg.workers.Load(), tg.closed.Load(); n != closed {
					t.Errorf("%d workers made, %d closed", n, closed)
				}
				if tc.duration == 0 {
					if run != nil {
						t.Fatalf("run interrupted in the warm-up = %+v, want nil", run)
					}
					return
				}
				if run == nil {
					t.Fatal("no run")
				}
				if run.DurationNs != int64(tc.duration) {
					t.Errorf("duration_ns = %v, want %v", time.Duration(run.DurationNs), tc.duration)
				}
				// 1000/s from the start, measured from 100 ms to 300 ms: ops at
				// 100, 101, ..., 299 ms, and the one at 300 ms if it ran first.
				if s := run.Ops["read"]; s.Count < 200 || s.Count > 201 || math.Abs(s.OpsPerSec-float64(s.Count)/0.2) > 1e-6 {
					t.Errorf("read: count %d, ops/s %v; want 200 ops over 200ms", s.Count, s.OpsPerSec)
				}
				if run.Fsck.Ok || len(run.Fsck.Errors) != 0 {
					t.Errorf("fsck = %+v: an interrupted run is not checked", run.Fsck)
				}
			})
		})
	}
}

// TestExpand: sweep values (outer) by strategies (inner), each cell with its
// params and its value applied.
func TestExpand(t *testing.T) {
	c := testConfig(t, pacedConfig+`sweep:
  param: jobs[0].threads
  values: [1, 2, 4]
`)
	c.Strategies = []string{"none", "invalidate", "kernel"}
	cells, err := expand(c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cl := range cells {
		threads := fmt.Sprint(cl.cfg.Jobs[0].Threads)
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", cl.strategy, cl.res.Target, results.ParamsString(cl.res.Params), threads))
		if cl.res.Strategy != cl.strategy {
			t.Errorf("cell %s: results strategy %q", cl.strategy, cl.res.Strategy)
		}
		if len(cl.res.Params) != 1 || cl.res.Params["jobs[0].threads"] != threads {
			t.Errorf("cell %s: params %v, but jobs[0].threads is %s", cl.strategy, cl.res.Params, threads)
		}
		if cl.cfg.Sweep != nil {
			t.Errorf("cell %s: cell config still has a sweep", cl.strategy)
		}
	}
	ps := func(v string) string { return results.ParamsString(map[string]string{"jobs[0].threads": v}) }
	want := []string{
		"none/model/" + ps("1") + "/1", "invalidate/model/" + ps("1") + "/1", "kernel/kernel/" + ps("1") + "/1",
		"none/model/" + ps("2") + "/2", "invalidate/model/" + ps("2") + "/2", "kernel/kernel/" + ps("2") + "/2",
		"none/model/" + ps("4") + "/4", "invalidate/model/" + ps("4") + "/4", "kernel/kernel/" + ps("4") + "/4",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Jobs[0].Threads != 1 || c.Sweep == nil {
		t.Errorf("expand changed the config: threads %d, sweep %v", c.Jobs[0].Threads, c.Sweep)
	}

	// Without a sweep: one cell per strategy, no params, the config itself.
	c.Sweep = nil
	cells, err = expand(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 3 {
		t.Fatalf("%d cells without a sweep, want 3", len(cells))
	}
	for _, cl := range cells {
		if cl.cfg != c || len(cl.res.Params) != 0 {
			t.Errorf("cell %s: cfg %p (want %p), params %v", cl.strategy, cl.cfg, c, cl.res.Params)
		}
	}

	// A value the parameter does not take is an error.
	c.Sweep = &config.Sweep{Param: "jobs[0].threads", Values: []string{"1", "many"}}
	if _, err := expand(c); err == nil || !strings.Contains(err.Error(), "jobs[0].threads") {
		t.Errorf("expand with a bad sweep value: err = %v, want one naming jobs[0].threads", err)
	}
}

// TestCollect: each job's recorders are merged across its workers, under its
// key (its op, or its name when another job runs the same op: seqread), and
// ops/s and bytes/s are over the run's duration, not the configured one.
func TestCollect(t *testing.T) {
	c := testConfig(t, pacedConfig) // duration 1s, interval 500ms
	start := int64(1000 * time.Second)
	rec := func(ops []time.Duration, bs int64) *workload.Recorder {
		r := workload.NewRecorder(start, c.Interval.D())
		for _, at := range ops {
			r.Tick(start + int64(at))
			r.Record(int64(time.Microsecond), bs)
		}
		return r
	}
	ms := time.Millisecond
	workers := []*worker{
		{key: "read", op: "read", rec: rec([]time.Duration{0, 100 * ms, 600 * ms}, 4096)},
		{key: "write", op: "write", rec: rec([]time.Duration{700 * ms}, 8192)},
		{key: "read", op: "read", rec: rec([]time.Duration{200 * ms, 300 * ms, 400 * ms, 900 * ms, 1200 * ms}, 4096)},
		{key: "seqread", op: "read", rec: rec([]time.Duration{800 * ms}, 65536)},
	}
	workers[1].rec.Error()
	for _, tc := range []struct {
		name string
		dur  time.Duration
	}{{"full window", time.Second}, {"interrupted", 400 * ms}} {
		t.Run(tc.name, func(t *testing.T) {
			run := &results.Run{DurationNs: int64(tc.dur)}
			if err := collect(run, workers, c); err != nil {
				t.Fatal(err)
			}
			secs := tc.dur.Seconds()
			for op, want := range map[string]struct {
				op                   string
				count, bytes, errors int64
			}{
				"read":    {"", 8, 8 * 4096, 0},
				"write":   {"", 1, 8192, 1},
				"seqread": {"read", 1, 65536, 0},
			} {
				s, ok := run.Ops[op]
				if !ok {
					t.Fatalf("no %s in %v", op, run.Ops)
				}
				if s.Op != want.op {
					t.Errorf("%s: op %q, want %q", op, s.Op, want.op)
				}
				if s.Count != want.count || s.Bytes != want.bytes || s.Errors != want.errors {
					t.Errorf("%s: count %d bytes %d errors %d, want %+v", op, s.Count, s.Bytes, s.Errors, want)
				}
				if s.OpsPerSec != float64(want.count)/secs || s.BytesPerSec != float64(want.bytes)/secs {
					t.Errorf("%s: ops/s %v bytes/s %v, want %v and %v", op, s.OpsPerSec, s.BytesPerSec,
						float64(want.count)/secs, float64(want.bytes)/secs)
				}
				if s.LatencyNs.Min != 1000 || s.LatencyNs.Max != 1000 {
					t.Errorf("%s: latency %+v, want 1µs", op, s.LatencyNs)
				}
			}
			if len(run.Ops) != 3 {
				t.Errorf("ops %v, want read, write and seqread", run.Ops)
			}
			// The series covers the configured window (1s / 500ms): ops after it
			// (1200 ms) are not in it.
			want := []results.Interval{
				{StartNs: 0, Ops: map[string]int64{"read": 5, "write": 0, "seqread": 0}},
				{StartNs: int64(500 * ms), Ops: map[string]int64{"read": 2, "write": 1, "seqread": 1}},
			}
			if !reflect.DeepEqual(run.Intervals, want) {
				t.Errorf("intervals = %+v, want %+v", run.Intervals, want)
			}
		})
	}
}

// failingTarget cannot make workers.
type failingTarget struct{ *fakeTarget }

func (failingTarget) NewWorker() (target.Worker, error) { return nil, errors.New("no more workers") }

// TestPrefillNewWorkerFails: every prefill goroutine fails to get a worker (a
// data race under -race when they all stored their error in one slot).
func TestPrefillNewWorkerFails(t *testing.T) {
	c := testConfig(t, pacedConfig)
	if err := c.Set("files.count", "8"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("backend.size", "8MiB"); err != nil {
		t.Fatal(err)
	}
	run, err := runFake(t.Context(), c, failingTarget{newFakeTarget(c, 0)}, Options{})
	if err == nil || run != nil {
		t.Fatalf("run %v, err %v: want a prefill error", run, err)
	}
	if !strings.Contains(err.Error(), "prefill") || !strings.Contains(err.Error(), "no more workers") {
		t.Errorf("err = %v, want a prefill error naming the cause", err)
	}
}

// TestRunTargetCancelledBeforeStart: a cell whose context is done before its
// workers start (SIGINT during prefill) measures nothing and starts no worker.
func TestRunTargetCancelledBeforeStart(t *testing.T) {
	c := testConfig(t, pacedConfig)
	tg := newFakeTarget(c, 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	run, err := runFake(ctx, c, tg, Options{})
	if run != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("run %+v, err %v: want no run and context.Canceled", run, err)
	}
	want := int64(min(2, runtime.GOMAXPROCS(0)))
	if n, closed := tg.workers.Load(), tg.closed.Load(); n != want || closed != want {
		t.Errorf("%d workers made, %d closed; want the %d prefill workers", n, closed, want)
	}
}

func TestIntervalMax(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples [][2]int64 // interval, value
		want    []int64
	}{
		{"every interval sampled", [][2]int64{{0, 5}, {0, 7}, {1, 3}, {2, 4}}, []int64{7, 3, 4}},
		{"a gap takes the larger neighbour", [][2]int64{{0, 5}, {3, 2}}, []int64{5, 5, 5, 2}},
		{"a gap before a larger sample", [][2]int64{{0, 1}, {2, 9}, {2, 4}}, []int64{1, 9, 9}},
		{"no sample in the first interval", [][2]int64{{1, 6}}, []int64{6, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newIntervalMax(len(tc.want))
			for _, s := range tc.samples {
				m.add(int(s[0]), s[1])
			}
			if !slices.Equal(m.max, tc.want) {
				t.Errorf("got %v, want %v", m.max, tc.want)
			}
		})
	}
}
