package results

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// DefaultConfidence is the confidence level of summaries when none is given.
const DefaultConfidence = 0.95

// Summarize sets c.Summary from c.Runs: for every op that appears in a run, the
// median and confidence interval of ops_per_sec and of the p99 latency over the runs,
// at the given confidence level (outside (0, 1): DefaultConfidence).
//
// Every run that has the op counts for ops_per_sec, including runs where the op never
// completed (0 ops/s is a measurement: starvation). Only runs that completed the op at
// least once count for the latency, which is undefined otherwise.
func Summarize(c *Cell, confidence float64) {
	ops := make(map[string]OpSummary)
	for _, op := range CellOps(c) {
		ops[op] = OpSummary{
			OpsPerSec: RunsEstimate(c, op, false, opsPerSec, confidence),
			P99Ns:     RunsEstimate(c, op, true, p99, confidence),
		}
	}
	c.Summary = Summary{Ops: ops}
}

func opsPerSec(s OpStats) float64 { return s.OpsPerSec }
func p99(s OpStats) float64       { return s.LatencyNs.P99 }

// SummaryOf returns the summary of op (a job key) in c: the stored one when the
// cell has it, else one computed now from its runs (a file written by an
// interrupted run has none) at DefaultConfidence. Tables and charts both show
// it, so that they agree.
func SummaryOf(c *Cell, op string) OpSummary {
	if s, ok := c.Summary.Ops[op]; ok && s.OpsPerSec.N > 0 {
		return s
	}
	tmp := *c
	Summarize(&tmp, DefaultConfidence)
	return tmp.Summary.Ops[op]
}

// RunsEstimate is the estimate (EstimateOf) of the figure get picks over the
// runs of c that have op (a job key). With timed, only the runs that completed
// op at least once and timed it count: a latency is undefined otherwise. No
// such runs give the zero Estimate.
func RunsEstimate(c *Cell, op string, timed bool, get func(OpStats) float64, confidence float64) Estimate {
	var v []float64
	for i := range c.Runs {
		s, ok := c.Runs[i].Ops[op]
		if !ok || (timed && (s.Count == 0 || c.Runs[i].NoLatency)) {
			continue
		}
		v = append(v, get(s))
	}
	return EstimateOf(v, confidence)
}

// EstimateOf is benchmath's AssumeNothing summary of values (the median and a
// distribution-free confidence interval at the given level; outside (0, 1):
// DefaultConfidence), made storable: see Estimate for what an infinite interval
// becomes. values is not modified. No values give the zero Estimate.
func EstimateOf(values []float64, confidence float64) Estimate {
	if !(confidence > 0 && confidence < 1) {
		confidence = DefaultConfidence
	}
	if len(values) == 0 {
		return Estimate{}
	}
	sample := benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(sample, confidence)
	e := Estimate{
		Median:     sum.Center,
		Lo:         sum.Lo,
		Hi:         sum.Hi,
		Confidence: sum.Confidence,
		N:          len(values),
	}
	for _, w := range sum.Warnings {
		e.Warnings = append(e.Warnings, w.Error())
	}
	if math.IsInf(e.Lo, 0) || math.IsInf(e.Hi, 0) {
		// The widest finite interval, [min, max], covers the median with
		// probability 1 - 2·(1/2)^n.
		n := len(sample.Values)
		e.Unbounded = true
		e.Lo, e.Hi = sample.Values[0], sample.Values[n-1]
		e.Confidence = 1 - 2*math.Pow(0.5, float64(n))
	}
	if len(values) > 1 {
		// The sample (n-1) standard deviation: stats.StandardDeviation is the
		// population one.
		if sd, err := stats.StandardDeviationSample(values); err == nil && !math.IsNaN(sd) && !math.IsInf(sd, 0) {
			e.Stddev = sd
		}
	}
	return e
}

// CellOps returns the job keys that appear in any run of c, in SortOps order
// of their ops (a job keyed by its name next to the others of its op).
func CellOps(c *Cell) []string {
	opOf := make(map[string]string)
	for i := range c.Runs {
		for key, s := range c.Runs[i].Ops {
			opOf[key] = OpOf(key, s)
		}
	}
	keys := make([]string, 0, len(opOf))
	for key := range opOf {
		keys = append(keys, key)
	}
	SortKeys(keys, opOf)
	return keys
}

// SortKeys sorts job keys in SortOps order of their ops (opOf; a key missing
// from it is its own op), a job keyed by its name after the others of its op
// by name.
func SortKeys(keys []string, opOf map[string]string) {
	op := func(k string) string {
		if o, ok := opOf[k]; ok {
			return o
		}
		return k
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if ra, rb := opRank(op(a)), opRank(op(b)); ra != rb {
			return ra < rb
		}
		if op(a) != op(b) {
			return op(a) < op(b)
		}
		return a < b
	})
}

// opRank is the position of an op in the order the runner documents them; unknown
// ops come after, by name.
func opRank(op string) int {
	switch op {
	case "read":
		return 0
	case "write":
		return 1
	case "fault":
		return 2
	case "mkwrite":
		return 3
	case "punch":
		return 4
	case "truncate":
		return 5
	case "zero":
		return 6
	case "advise":
		return 7
	}
	return 8
}

// SortOps sorts op names in the order read, write, fault, mkwrite, punch, truncate,
// zero, advise, then any others by name.
func SortOps(ops []string) {
	sort.Slice(ops, func(i, j int) bool {
		ri, rj := opRank(ops[i]), opRank(ops[j])
		if ri != rj {
			return ri < rj
		}
		return ops[i] < ops[j]
	})
}

// ParamsString renders sweep params as "k1=v1 k2=v2" with keys sorted; "" for none.
func ParamsString(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// Key identifies a cell within and across files of one config: its strategy and its
// params, as "strategy=S k1=v1 k2=v2".
func Key(c *Cell) string {
	k := "strategy=" + c.Strategy
	if p := ParamsString(c.Params); p != "" {
		k += " " + p
	}
	return k
}
