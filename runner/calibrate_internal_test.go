package runner

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
	"github.com/rwbench/rwbench/workload"
)

// TestRecordOffClosedLoop: with record: false a closed-loop worker counts the ops
// of the window, which the flags open and shut; the run has no latencies, and the
// sampled series adds up to about the count.
func TestRecordOffClosedLoop(t *testing.T) {
	c := testConfig(t, `name: norecord
backend: {kind: memory, size: 4MiB}
cache: {size: 512KiB}
files: {count: 2, size: 256KiB}
strategies: [none]
duration: 400ms
warmup: 100ms
interval: 100ms
record: false
jobs:
  - {op: read, threads: 2}
  - {op: write, threads: 1, rate: 50, files: "1"}
`)
	tg := newFakeTarget(c, 0)
	run, err := runFake(t.Context(), c, tg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !run.NoLatency {
		t.Error("no_latency is not set")
	}
	r := run.Ops["read"]
	if r.Count < 100 || r.Bytes != r.Count*4096 || r.LatencyNs != (results.Latency{}) {
		t.Errorf("read: %+v", r)
	}
	// ops/s is over the window the flags were open, within a few ms of 400ms.
	if rate := float64(r.Count) / 0.4; math.Abs(r.OpsPerSec/rate-1) > 0.1 {
		t.Errorf("read: %d ops, %v ops/s; want about %v", r.Count, r.OpsPerSec, rate)
	}
	// The open-loop writer keeps its schedule: 50/s over 400ms.
	if w := run.Ops["write"]; w.Count < 19 || w.Count > 21 || w.OpsPerSec != float64(w.Count)/0.4 {
		t.Errorf("write: count %d, ops/s %v; want 20 at 50/s", w.Count, w.OpsPerSec)
	}
	// It says it is idle before each wait (warm-up included); the closed-loop
	// readers never do.
	if n := tg.idles.Load(); n < 24 || n > 27 {
		t.Errorf("%d Idle calls, want one per paced op: about 25 in 500ms at 50/s", n)
	}
	if len(run.Intervals) != 4 {
		t.Fatalf("%d intervals, want 4", len(run.Intervals))
	}
	var sum int64
	for _, iv := range run.Intervals {
		sum += iv.Ops["read"]
	}
	if d := sum - r.Count; d < -2 || d > 2 {
		t.Errorf("the series adds up to %d reads, the count is %d", sum, r.Count)
	}
	if !run.Fsck.Ok || run.Verify.Checked == 0 {
		t.Errorf("fsck %+v, verify %+v", run.Fsck, run.Verify)
	}
	s := &results.Cell{Runs: []results.Run{*run}}
	results.Summarize(s, 0)
	if s.Summary.Ops["read"].P99Ns.N != 0 || s.Summary.Ops["read"].OpsPerSec.N != 1 {
		t.Errorf("summary %+v: want ops/s and no p99", s.Summary.Ops["read"])
	}
}

// TestCountLoopReadsNoClock: a closed-loop worker that does not record never
// touches its pacer or its recorder (both read the clock): with both nil it
// counts only the ops it starts while the window is open, and stops when the
// window shuts.
func TestCountLoopReadsNoClock(t *testing.T) {
	c := testConfig(t, pacedConfig)
	tg := newFakeTarget(c, 0)
	kind, _ := oracle.ParseOpKind("read")
	offs, err := workload.NewOffsets("rand", 1, 0, 0, int64(c.Files.Size), pageSize, 0)
	if err != nil {
		t.Fatal(err)
	}
	fw, _ := tg.NewWorker()
	win := &window{}
	w := &worker{op: "read", kind: kind, target: fw, offsets: offs, files: workload.NewFilePicker([]int{0, 1}, 1),
		buf: alignedBuffer(pageSize), floors: make([]int64, 1), gens: make([]uint64, 1),
		closed: true, win: win} // record false, pacer and rec nil
	done := make(chan struct{})
	go func() { defer close(done); w.countLoop(context.Background()) }()
	waitFor := func(n int64) {
		for w.done.Load() < n {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(100)
	if w.counted.ops != 0 {
		t.Fatalf("counted %d ops before the window opened", w.counted.ops)
	}
	before := w.done.Load()
	win.open.Store(true)
	waitFor(before + 1000)
	win.shut.Store(true)
	<-done
	if w.counted.ops < 999 || w.counted.ops > w.done.Load()-before || w.counted.bytes != w.counted.ops*pageSize {
		t.Errorf("counted %+v of %d ops done in the window", w.counted, w.done.Load()-before)
	}
	if w.inOp.Load() != 0 {
		t.Error("inOp left set")
	}
}

// TestExpandSets: a sweep by sets makes its phases' cells in order, each with
// the strategies its phase lists, so a target that does not apply to a phase has
// no cell there.
func TestExpandSets(t *testing.T) {
	c := testConfig(t, strings.Replace(pacedConfig, "strategies: [none]", "strategies: [none, kernel, raw]", 1)+`sweep:
  sets:
    - {name: hit, set: ["strategies=none,kernel", "cache.size=1MiB"]}
    - {name: cold, set: []}
    - {name: fault, set: ["strategies=kernel,none", "jobs[0].op=fault"]}
`)
	cells, err := expand(c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cl := range cells {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s/%s", results.ParamsString(cl.res.Params), cl.strategy, cl.res.Target, cl.cfg.Cache.Size, cl.cfg.Jobs[0].Op))
	}
	want := []string{
		"phase=hit/none/model/1MiB/read", "phase=hit/kernel/kernel/1MiB/read",
		"phase=cold/none/model/512KiB/read", "phase=cold/kernel/kernel/512KiB/read", "phase=cold/raw/raw/512KiB/read",
		"phase=fault/kernel/kernel/512KiB/fault", "phase=fault/none/model/512KiB/fault",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The workspace and the preflight see the strategies of every phase.
	c.Strategies = []string{"none"} // cold now runs none alone; hit and fault add kernel
	if all := allStrategies(c); !reflect.DeepEqual(all, []string{"none", "kernel"}) {
		t.Errorf("allStrategies = %v", all)
	}
}

// countingTarget counts the bytes read through its workers.
type countingTarget struct {
	*fakeTarget
	read atomic.Int64
}

func (t *countingTarget) NewWorker() (target.Worker, error) {
	w, err := t.fakeTarget.NewWorker()
	return &countingWorker{Worker: w, t: t}, err
}

type countingWorker struct {
	target.Worker
	t *countingTarget
}

func (w *countingWorker) Read(file int, off int64, buf []byte) (int, error) {
	n, err := w.Worker.Read(file, off, buf)
	w.t.read.Add(int64(n))
	return n, err
}

// TestWarm: files.warm reads every file in full before the run.
func TestWarm(t *testing.T) {
	c := testConfig(t, `name: warm
backend: {kind: memory, size: 8MiB}
files: {count: 3, size: 1MiB, warm: true}
strategies: [none]
duration: 100ms
warmup: 0s
interval: 100ms
verify: off
jobs:
  - {op: write, threads: 1, rate: 10}
`)
	tg := &countingTarget{fakeTarget: newFakeTarget(c, 0)}
	if _, err := runFake(t.Context(), c, tg, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := tg.read.Load(); got != 3<<20 {
		t.Errorf("%d bytes read, want the 3MiB of the files (no reads by the job, no fsck reads at verify off)", got)
	}
	if err := warm(t.Context(), tg, c, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPeakRSS: every run records its peak RSS, and the model's memory limit is
// the process's only for the run.
func TestPeakRSS(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	c := testConfig(t, pacedConfig)
	synctest.Test(t, func(t *testing.T) {
		run, err := runFake(t.Context(), c, newFakeTarget(c, 0), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if run.PeakRSSBytes <= 0 {
			t.Errorf("peak_rss_bytes = %d", run.PeakRSSBytes)
		}
	})
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("memory limit %d after the run, %d before", after, before)
	}
	p := beginMemory(int64(c.Cache.Size) + modelHeadroom)
	if l := debug.SetMemoryLimit(-1); l != int64(c.Cache.Size)+modelHeadroom {
		t.Errorf("memory limit during a model run = %d", l)
	}
	ballast := make([]byte, 32<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	if peak := p.end(); peak < 32<<20 {
		t.Errorf("peak %d after touching 32MiB", peak)
	}
	// The limit follows the live heap: with 32MiB live and a floor of 1MiB, it
	// rises to about the live heap plus followHeadroom.
	p = beginMemory(1 << 20)
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < 32<<20+followHeadroom && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := debug.SetMemoryLimit(-1); l < 32<<20+followHeadroom {
		t.Errorf("memory limit %d with 32MiB live, want at least %d", l, 32<<20+followHeadroom)
	}
	p.end()
	runtime.KeepAlive(ballast)
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("memory limit %d after the run, %d before", after, before)
	}
}

func TestParseHWM(t *testing.T) {
	status := "Name:\trwbench\nVmPeak:\t  900 kB\nVmHWM:\t   123456 kB\nVmRSS:\t 1 kB\n"
	if got := parseHWM([]byte(status)); got != 123456<<10 {
		t.Errorf("parseHWM = %d", got)
	}
	for _, bad := range []string{"", "VmHWM: 12 MB\n", "VmHWM: x kB\n", "VmRSS: 5 kB\n"} {
		if got := parseHWM([]byte(bad)); got != 0 {
			t.Errorf("parseHWM(%q) = %d, want 0", bad, got)
		}
	}
}

func TestParseStatm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"12345 678 90 1 0 300 0\n", 678 * 4096},
		{"1 0", 0},
		{"", 0},
		{"5", 0},
		{"5 x 1", 0},
		{"5 -3 1", 0},
	} {
		if got := parseStatm([]byte(tc.in), 4096); got != tc.want {
			t.Errorf("parseStatm(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestJobsOfOneOp: two jobs of one op keep their own figures and findings,
// under their names.
func TestJobsOfOneOp(t *testing.T) {
	c := testConfig(t, `name: twojobs
backend: {kind: memory, size: 4MiB}
cache: {size: 512KiB}
files: {count: 2, size: 256KiB}
strategies: [none]
duration: 200ms
warmup: 50ms
interval: 100ms
jobs:
  - {op: read, threads: 1, bs: 4KiB}
  - {name: seqread, op: read, threads: 1, pattern: seq, bs: 64KiB}
  - {op: write, threads: 1, rate: 50, files: "1"}
`)
	run, err := runFake(t.Context(), c, newFakeTarget(c, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, s := run.Ops["read"], run.Ops["seqread"]
	if r.Count == 0 || s.Count == 0 || r.Op != "" || s.Op != "read" || s.Bytes != s.Count*65536 || r.Bytes != r.Count*4096 {
		t.Errorf("read %+v, seqread %+v: want both, with their own block sizes", r, s)
	}
	if _, ok := run.Ops["write"]; !ok || len(run.Ops) != 3 {
		t.Errorf("ops %v, want read, seqread and write", slices.Collect(maps.Keys(run.Ops)))
	}
	if by := run.Verify.ByJob; len(by) != 3 {
		t.Errorf("verify by job %v, want the three jobs", by)
	}
	// Each interval has the process's largest resident set sampled in it.
	if len(run.Intervals) != 2 {
		t.Fatalf("%d intervals, want 2", len(run.Intervals))
	}
	for i, iv := range run.Intervals {
		if iv.RSSBytes < 1<<20 {
			t.Errorf("interval %d: rss %d bytes", i, iv.RSSBytes)
		}
	}
}
