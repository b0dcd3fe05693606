// Package compare implements `rwbench compare`: it decides whether a change to
// rwbench's model (or to the machine, or to the kernel) made a benchmark worse,
// from two results files of the same config, so that CI can fail a pull request
// on a performance regression without failing it on noise.
//
// Cells are matched by strategy and sweep params, and within a cell by op. For each
// chosen metric (ops/s and the p99 latency by default) the runs of the two files
// are two samples, compared with golang.org/x/perf/benchmath's AssumeNothing: the
// Mann-Whitney U test, which assumes nothing about the distribution of run results
// (they are seldom normal: a run that hits a compaction or a noisy neighbour is an
// outlier, not a wider bell). The direction of every metric is known (more ops/s
// is better, less latency is better), so a change is a regression when it is both
// significant at Alpha and worse than Threshold: significance alone would fail CI
// on real but negligible changes, size alone on noise.
//
// Two files are only comparable when they measured the same thing: the same schema
// and the same resolved config, ignoring "description" and the keys of
// Options.Ignore (a deliberate change). Otherwise Compare returns an
// *IncompatibleError naming the differing config keys (results.DiffConfig), and
// the command exits 2, which CI must not read as "no regression". The U test
// cannot reach a small p with few runs (at alpha 0.05 it needs 4 per side
// however different the runs are), and with much noise it misses large changes:
// so each comparison also gives the smallest worsening it could have detected
// at the runs' noise (power.go), and one that could not have seen a change of
// the threshold's size is "inconclusive" rather than "~". The answer is one of
// three (verdict.go): a regression (exit 1), no regression detected (exit 0), or
// inconclusive (exit 4) when some comparison could not have seen one, or the new
// file is partial, failed, without runs or without cells of the old one. Cells
// or ops only in the new file are listed as added.
//
// Compare builds a Report; Report.Write renders it as text (benchstat-like
// tables), Markdown (for a CI step summary) or JSON. The command, its flags
// and its exit codes are cmd/rwbench's (compare.go there).
package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/results"
	"golang.org/x/perf/benchmath"
)

// Options configure a comparison.
type Options struct {
	// Alpha is the significance level of the U test; 0 means 0.05.
	Alpha float64
	// Threshold is how much worse, as a fraction (0.05 for 5%), a significant
	// change must be to count as a regression; 0 makes every significant worsening
	// one. ParseThreshold reads the "5%" form.
	Threshold float64
	// Metrics are the metrics to compare (Metrics lists them); nil means
	// DefaultMetrics.
	Metrics []string
	// Format is the output format of the command: text, markdown or json.
	Format string
	// Ignore are config keys (as results.DiffConfig names them, "duration" or
	// "jobs[1].threads"; a key also covers the keys under it, "cache" covers
	// "cache.size") whose difference does not make the files incomparable: for
	// comparing across a deliberate config change.
	Ignore []string
}

// DefaultOptions are the command's defaults.
func DefaultOptions() Options {
	return Options{Alpha: 0.05, Threshold: 0.05, Metrics: DefaultMetrics(), Format: "text"}
}

// DefaultMetrics are the metrics compared when none are chosen.
func DefaultMetrics() []string { return []string{"ops_per_sec", "p99"} }

// Metrics lists the metric names Options.Metrics accepts.
func Metrics() []string {
	return []string{"ops_per_sec", "bytes_per_sec", "p50", "p90", "p99", "p999", "p9999", "mean_latency"}
}

// metric is how one metric is read from a run and which way is better.
type metric struct {
	name   string // canonical name
	label  string // table heading
	higher bool   // higher values are better
	// latency metrics are undefined for runs that never completed the op
	latency bool
	get     func(results.OpStats) float64
}

func metricByName(name string) (metric, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "ops_per_sec", "ops/s", "ops":
		return metric{"ops_per_sec", "ops/s", true, false, func(s results.OpStats) float64 { return s.OpsPerSec }}, true
	case "bytes_per_sec", "b/s", "mb/s":
		return metric{"bytes_per_sec", "MB/s", true, false, func(s results.OpStats) float64 { return s.BytesPerSec }}, true
	case "p50", "p50_ns":
		return metric{"p50", "p50 latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.P50 }}, true
	case "p90", "p90_ns":
		return metric{"p90", "p90 latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.P90 }}, true
	case "p99", "p99_ns":
		return metric{"p99", "p99 latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.P99 }}, true
	case "p999", "p99.9", "p999_ns":
		return metric{"p999", "p99.9 latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.P999 }}, true
	case "p9999", "p99.99", "p9999_ns":
		return metric{"p9999", "p99.99 latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.P9999 }}, true
	case "mean_latency", "mean", "mean_ns":
		return metric{"mean_latency", "mean latency", false, true, func(s results.OpStats) float64 { return s.LatencyNs.Mean }}, true
	}
	return metric{}, false
}

// ParseThreshold reads a threshold: a percentage ("5%", "2.5 %") or a fraction
// ("0.05"). A bare number of 1 or more is refused as ambiguous ("5" might mean 5%
// or 500%).
func ParseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("threshold %q: not a number or percentage", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("threshold %q is negative", s)
	}
	if pct {
		return v / 100, nil
	}
	if v >= 1 {
		return 0, fmt.Errorf("threshold %q: write %s%% or a fraction below 1", s, t)
	}
	return v, nil
}

// IncompatibleError says why two results files cannot be compared.
type IncompatibleError struct {
	// Reason says what differs.
	Reason string
	// Keys are the config keys that differ, when the configs do.
	Keys []string
}

func (e *IncompatibleError) Error() string {
	if len(e.Keys) > 0 {
		return "incompatible results files: " + e.Reason + ": " + strings.Join(e.Keys, ", ")
	}
	return "incompatible results files: " + e.Reason
}

// FileInfo describes one side of a comparison.
type FileInfo struct {
	// Label names the side in the output (the command uses the paths); "old" and
	// "new" by default.
	Label   string `json:"label"`
	Name    string `json:"name"`
	RWBench string `json:"rwbench"`
	Started string `json:"started,omitempty"`
	Machine string `json:"machine"`
	Partial bool   `json:"partial,omitempty"`
	Failed  string `json:"failed,omitempty"`
}

// Row is the comparison of one metric of one op of one cell.
type Row struct {
	// Cell is results.Key of the cell: "strategy=S k=v ...".
	Cell     string            `json:"cell"`
	Strategy string            `json:"strategy"`
	Params   map[string]string `json:"params,omitempty"`
	Op       string            `json:"op"`
	Metric   string            `json:"metric"`
	// HigherIsBetter gives the metric's direction.
	HigherIsBetter bool `json:"higher_is_better"`
	// Old and New summarize each side's runs (median, confidence interval, n).
	Old results.Estimate `json:"old"`
	New results.Estimate `json:"new"`
	// DeltaPct is (new/old - 1) * 100; nil when the old median is 0.
	DeltaPct *float64 `json:"delta_pct"`
	// P is the U test's p-value.
	P float64 `json:"p"`
	// MinP is the smallest p the U test can give with these run counts; when it
	// is above alpha no difference, however large, is significant.
	MinP float64 `json:"min_p"`
	// DetectablePct is the smallest change in the metric's worse direction, in
	// percent, that the U test would have found significant with these runs at
	// their noise (see detectable); nil when no change could be (too few runs).
	DetectablePct *float64 `json:"detectable_pct"`
	// RunsNeeded is the runs per side at which a change of the threshold's size
	// would typically be significant at this noise (see runsNeeded); 0 when more
	// than 100 or it cannot be told.
	RunsNeeded int `json:"runs_needed"`
	// Verdict is "regression", "improvement", "within threshold" (significant but
	// smaller than the threshold), "~" (not significant, though a change of the
	// threshold's size would have been) or "inconclusive" (not significant, and
	// the runs could not have seen a change of the threshold's size).
	Verdict string `json:"verdict"`
}

// Verdicts.
const (
	Regression      = "regression"
	Improvement     = "improvement"
	WithinThreshold = "within threshold"
	NoChange        = "~"
	Inconclusive    = "inconclusive"
)

// Report is the outcome of a comparison.
type Report struct {
	// Outcome is the comparison's answer (OutcomeRegression, OutcomeNone or
	// OutcomeInconclusive) and Reasons say why it is inconclusive.
	Outcome   Outcome  `json:"outcome"`
	Reasons   []string `json:"reasons"`
	Old       FileInfo `json:"old"`
	New       FileInfo `json:"new"`
	Alpha     float64  `json:"alpha"`
	Threshold float64  `json:"threshold"`
	// PCutoff is the largest p a row may have to be significant: alpha is a
	// false discovery rate over the rows (fdr.go); -1 when none is.
	PCutoff float64  `json:"p_cutoff"`
	Metrics []string `json:"metrics"`
	// Ignored are the config keys that differ and were ignored (Options.Ignore).
	Ignored []string `json:"ignored"`
	// Warnings are one line each: too few runs, different machines, partial runs.
	Warnings []string `json:"warnings"`
	Rows     []Row    `json:"rows"`
	// Added and Removed are the cells (by results.Key) and the ops of matched
	// cells ("KEY op=O") found in only the new or only the old file.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// Regressed reports whether any row is a regression.
func (r *Report) Regressed() bool {
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			return true
		}
	}
	return false
}

// Regressions returns the rows that are regressions.
func (r *Report) Regressions() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			out = append(out, row)
		}
	}
	return out
}

func fileInfo(f *results.File, label string) FileInfo {
	fi := FileInfo{Label: label, Name: f.Name, RWBench: f.RWBench, Machine: machine.Header(f.Machine), Partial: f.Partial, Failed: f.Failed}
	if !f.Started.IsZero() {
		fi.Started = f.Started.UTC().Format(time.RFC3339)
	}
	return fi
}

// Compare compares new against old. The error is an *IncompatibleError when the
// files measured different things, or describes invalid options.
func Compare(old, new *results.File, o Options) (*Report, error) {
	if old == nil || new == nil {
		return nil, errors.New("compare: missing results file")
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return nil, fmt.Errorf("compare: alpha %v is not between 0 and 1", o.Alpha)
	}
	if o.Threshold < 0 || math.IsNaN(o.Threshold) {
		return nil, fmt.Errorf("compare: threshold %v is negative", o.Threshold)
	}
	names := o.Metrics
	if len(names) == 0 {
		names = DefaultMetrics()
	}
	var metrics []metric
	for _, n := range names {
		m, ok := metricByName(n)
		if !ok {
			return nil, fmt.Errorf("compare: unknown metric %q (known: %s)", n, strings.Join(Metrics(), ", "))
		}
		if !slices.ContainsFunc(metrics, func(x metric) bool { return x.name == m.name }) {
			metrics = append(metrics, m)
		}
	}

	if old.Schema != new.Schema || old.Schema != results.Schema {
		return nil, &IncompatibleError{Reason: fmt.Sprintf("old is schema %d, new is schema %d; this rwbench reads schema %d", old.Schema, new.Schema, results.Schema)}
	}
	keys, err := results.DiffConfig(old.Config, new.Config)
	if err != nil {
		return nil, &IncompatibleError{Reason: err.Error()}
	}
	ignored, keys := splitIgnored(keys, o.Ignore)
	if len(keys) > 0 {
		return nil, &IncompatibleError{Reason: "the configs differ in", Keys: keys}
	}

	r := &Report{
		Old:       fileInfo(old, "old"),
		New:       fileInfo(new, "new"),
		Alpha:     o.Alpha,
		Threshold: o.Threshold,
		Warnings:  []string{},
		Rows:      []Row{},
		Added:     []string{},
		Removed:   []string{},
		Ignored:   append([]string{}, ignored...),
		Reasons:   []string{},
	}
	for _, m := range metrics {
		r.Metrics = append(r.Metrics, m.name)
	}
	r.Warnings = append(r.Warnings, fileWarnings(old, new)...)

	newCells := map[string]*results.Cell{}
	for i := range new.Results {
		newCells[results.Key(&new.Results[i])] = &new.Results[i]
	}
	oldCells := map[string]bool{}
	type pair struct {
		key    string
		oc, nc *results.Cell
		ops    []string
	}
	var pairs []pair
	for i := range old.Results {
		oc := &old.Results[i]
		k := results.Key(oc)
		oldCells[k] = true
		nc, ok := newCells[k]
		if !ok {
			r.Removed = append(r.Removed, k)
			continue
		}
		oldOps, newOps := results.CellOps(oc), results.CellOps(nc)
		var ops []string
		for _, op := range oldOps {
			if slices.Contains(newOps, op) {
				ops = append(ops, op)
			} else {
				r.Removed = append(r.Removed, k+" op="+op)
			}
		}
		for _, op := range newOps {
			if !slices.Contains(oldOps, op) {
				r.Added = append(r.Added, k+" op="+op)
			}
		}
		pairs = append(pairs, pair{k, oc, nc, ops})
	}
	for i := range new.Results {
		if k := results.Key(&new.Results[i]); !oldCells[k] {
			r.Added = append(r.Added, k)
		}
	}

	fewest := [2]int{-1, -1}
	for _, m := range metrics {
		for _, p := range pairs {
			for _, op := range p.ops {
				a, b := values(p.oc, op, m), values(p.nc, op, m)
				if len(a) > 0 && len(b) == 0 {
					r.Reasons = append(r.Reasons, fmt.Sprintf("%s op=%s: no run of new gives %s", p.key, op, m.label))
				}
				if len(a) == 0 || len(b) == 0 {
					continue
				}
				row := compareRow(a, b, m, o)
				row.Cell, row.Strategy, row.Params, row.Op = p.key, p.oc.Strategy, p.oc.Params, op
				if !reachable(row.MinP, o.Alpha) && (fewest[0] < 0 || row.Old.N+row.New.N < fewest[0]+fewest[1]) {
					fewest = [2]int{row.Old.N, row.New.N}
				}
				r.Rows = append(r.Rows, row)
			}
		}
	}
	if fewest[0] >= 0 {
		op, need := minRuns(o.Alpha)
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"too few runs: with %d old and %d new runs no change can be significant at alpha %v; the U test needs %s %d runs per side",
			fewest[0], fewest[1], o.Alpha, op, need))
	}
	r.correct()
	r.decide(old, new)
	return r, nil
}

// values are the metric's values over the runs of c that have op (for a latency
// metric, that completed it at least once and timed it: not record: false).
func values(c *results.Cell, op string, m metric) []float64 {
	var v []float64
	for i := range c.Runs {
		s, ok := c.Runs[i].Ops[op]
		if !ok || (m.latency && (s.Count == 0 || c.Runs[i].NoLatency)) {
			continue
		}
		v = append(v, m.get(s))
	}
	return v
}

// compareRow compares two samples of metric m.
func compareRow(a, b []float64, m metric, o Options) Row {
	th := &benchmath.Thresholds{CompareAlpha: o.Alpha}
	cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(a), th), benchmath.NewSample(slices.Clone(b), th))
	row := Row{
		Metric:         m.name,
		HigherIsBetter: m.higher,
		Old:            results.EstimateOf(a, results.DefaultConfidence),
		New:            results.EstimateOf(b, results.DefaultConfidence),
		P:              cmp.P,
		MinP:           minP(len(a), len(b), o.Alpha),
		Verdict:        NoChange,
	}
	om, nm := row.Old.Median, row.New.Median
	rel := math.Inf(1) // relative size of the change
	if om != 0 {
		d := (nm/om - 1) * 100
		row.DeltaPct = &d
		rel = math.Abs(nm/om - 1)
	} else if nm == 0 {
		rel = 0
	}
	det := detectable(a, b, m.higher, o.Alpha)
	if !math.IsInf(det, 0) {
		d := det * 100
		row.DetectablePct = &d
	}
	row.RunsNeeded = runsNeeded(a, b, m.higher, o.Threshold, o.Alpha, det)
	if !reachable(cmp.P, o.Alpha) { // not significant
		if undetectable(det, o.Threshold) {
			row.Verdict = Inconclusive
		}
		return row
	}
	worse := (m.higher && nm < om) || (!m.higher && nm > om)
	better := (m.higher && nm > om) || (!m.higher && nm < om)
	switch {
	case worse && rel > o.Threshold:
		row.Verdict = Regression
	case better && rel > o.Threshold:
		row.Verdict = Improvement
	default:
		row.Verdict = WithinThreshold
	}
	return row
}

// undetectable reports whether a comparison that could detect at best a change
// of det (a fraction) could not have seen one of the threshold. The tolerance
// keeps a change detectable at exactly the threshold (up to the bisection's
// precision) conclusive.
func undetectable(det, threshold float64) bool { return det > threshold*(1+1e-6)+1e-9 }

// minP is the smallest p-value benchmath's U test can give for samples of n1 and n2
// runs: that of two samples that do not overlap at all. It asks benchmath rather
// than computing 2/C(n1+n2, n1) so that it agrees with what Compare does.
func minP(n1, n2 int, alpha float64) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	a := make([]float64, n1)
	b := make([]float64, n2)
	for i := range a {
		a[i] = float64(i)
	}
	for i := range b {
		b[i] = float64(n1 + i)
	}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(a, th), benchmath.NewSample(b, th)).P
}

// reachable reports whether a smallest possible p of minP can be significant at
// alpha. The U test's p is computed, so a p that is alpha on paper (0.1 for three
// runs a side) may come out a hair above it.
func reachable(minP, alpha float64) bool {
	return minP <= alpha*(1+1e-9)
}

// minRuns is the fewest runs per side (equal sides) at which the U test can reach
// alpha: (">=", n), or (">", limit) past the search limit.
func minRuns(alpha float64) (string, int) {
	const limit = 50
	for n := 1; n <= limit; n++ {
		if reachable(minP(n, n, alpha), alpha) {
			return ">=", n
		}
	}
	return ">", limit
}
