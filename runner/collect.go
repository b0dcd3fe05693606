package runner

import (
	"fmt"
	"slices"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
	"github.com/rwbench/rwbench/workload"
)

func lockStats(t target.Target) []results.LockStat {
	if ls, ok := t.(target.LockStater); ok {
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
		f, g := by[w.key], w.checker.Findings()
		f.Stale += g.Stale
		f.Foreign += g.Foreign
		f.Torn += g.Torn
		by[w.key] = f
	}
	return by
}

// collectRun puts into run what the workers did: their ops' figures (merged
// recorders, or for record: false their counts and the sampled series), the
// jobs that stalled, and the first error.
func collectRun(run *results.Run, c *config.Config, workers []*worker, counts sampled) error {
	var err error
	if c.Recording() {
		err = collect(run, workers, c)
	} else {
		err = collectCounts(run, workers, c, counts)
	}
	if err != nil {
		return err
	}
	markStalled(run)
	run.FirstError = firstError(workers)
	return nil
}

// addRSS puts the largest resident set of each interval into the run's intervals.
func addRSS(run *results.Run, rss []int64) {
	for i, b := range rss {
		if i < len(run.Intervals) {
			run.Intervals[i].RSSBytes = b
		}
	}
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
