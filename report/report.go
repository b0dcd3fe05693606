// Package report renders results files for people and for other tools.
//
// Write takes one or more results files and a format:
//
//   - text: an aligned table in the manner of benchstat, one row per cell and op:
//     config, strategy, sweep params, op, runs, the median ops/s with its
//     confidence interval, MB/s, the p50, p99 and p99.9 latencies (medians over
//     the runs), the oracle's stale/foreign/torn/corrupt findings and the fsck
//     outcome; then, when the runs recorded locks, a lock table (with the p50
//     and p99 of wait and hold from the runs' histograms); then the lock
//     validator's findings, one line per distinct finding of a cell.
//   - markdown: the same as GitHub tables, for a pull request or a CI step summary.
//   - csv: one row per run and op with every figure of the run, for spreadsheets
//     and scripts; a header row names the columns, one column per sweep param.
//   - benchfmt: the Go benchmark format (golang.org/x/perf/benchfmt), one line per
//     run and op named BenchmarkRW/strategy=S/op=O/k=v..., so that benchstat and
//     its -col/-row projections (benchstat -col /strategy) work on rwbench results.
//
// The tables are built once into a small model (rows of strings plus footnotes)
// and then rendered, so text and markdown cannot disagree. Medians and intervals
// are the cells' stored summaries (results.Summarize); a file without summaries
// (an interrupted run) is summarized on the fly. An interval benchmath cannot bound
// with the runs at hand is shown as "± ∞" with a footnote saying how many runs it
// needs, as benchstat does.
package report

import (
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// Formats are the formats Write knows, the first being the default.
func Formats() []string { return []string{"text", "markdown", "csv", "benchfmt", "json"} }

// Write writes a report of files to w in format, one of Formats.
func Write(w io.Writer, format string, files ...*results.File) error {
	for i, f := range files {
		if f == nil {
			return fmt.Errorf("report: file %d is missing", i+1)
		}
	}
	switch format {
	case "text", "":
		return writeText(w, files, false)
	case "markdown", "md":
		return writeText(w, files, true)
	case "csv":
		return writeCSV(w, files)
	case "benchfmt":
		return writeBenchfmt(w, files)
	case "json":
		return writeFidelityJSON(w, files)
	}
	return fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// configNames names each file in the tables: its config's name, with "#2", "#3"
// added when several files have the same name.
func configNames(files []*results.File) []string {
	count := map[string]int{}
	for _, f := range files {
		count[f.Name]++
	}
	seen := map[string]int{}
	names := make([]string, len(files))
	for i, f := range files {
		n := f.Name
		if n == "" {
			n = "-"
		}
		seen[f.Name]++
		if count[f.Name] > 1 {
			n += "#" + strconv.Itoa(seen[f.Name])
		}
		names[i] = n
	}
	return names
}

// findings sums the oracle's stale, foreign and torn findings for op (a job's
// key) over the runs of c. Runs that attribute findings by job or by op give
// op's own; otherwise, when the cell has findings at all, its totals go on its
// first op (first is true) with a footnote saying so, and the other ops show
// nothing. Torn reads of a target where they are not a finding (see
// results.Cell.TornIsFinding) get a footnote saying so.
func findings(c *results.Cell, op string, first bool, n *notes) (stale, foreign, torn string) {
	byOp := false
	var own, total results.Findings
	for i := range c.Runs {
		v := &c.Runs[i].Verify
		x, ok := c.Runs[i].FindingsOf(op)
		byOp = byOp || ok
		own.Stale += x.Stale
		own.Foreign += x.Foreign
		own.Torn += x.Torn
		total.Stale += v.Stale
		total.Foreign += v.Foreign
		total.Torn += v.Torn
	}
	f, m := own, ""
	switch {
	case byOp || total.Stale+total.Foreign+total.Torn == 0:
	case first:
		f, m = total, " "+n.mark("the runs do not attribute findings to ops: the totals of the cell")
	default:
		return "", "", ""
	}
	torn = strconv.FormatInt(f.Torn, 10) + m
	if f.Torn > 0 && !c.TornIsFinding() {
		torn += " " + n.mark("not a finding on "+c.Target+": its buffered read is not atomic against a write of the same page")
	}
	return strconv.FormatInt(f.Stale, 10) + m, strconv.FormatInt(f.Foreign, 10) + m, torn
}

func corruptOf(c *results.Cell) string {
	var n int64
	for i := range c.Runs {
		n += c.Runs[i].Verify.Corrupt
	}
	return strconv.FormatInt(n, 10)
}

func paramsOrDash(p map[string]string) string {
	if s := results.ParamsString(p); s != "" {
		return s
	}
	return "-"
}

// fileLine is the line that introduces one file.
func fileLine(f *results.File, name string) string {
	parts := []string{"config " + name}
	if f.RWBench != "" {
		parts = append(parts, "rwbench "+f.RWBench)
	}
	if !f.Started.IsZero() {
		parts = append(parts, "started "+f.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if !f.Started.IsZero() && f.Finished.After(f.Started) {
		parts = append(parts, "took "+f.Finished.Sub(f.Started).Round(1e9).String())
	}
	switch {
	case f.Partial && f.Failed == "":
		parts = append(parts, "PARTIAL (interrupted)")
	case f.Partial:
		parts = append(parts, "PARTIAL")
	}
	if f.Failed != "" {
		parts = append(parts, "FAILED: "+f.Failed)
	}
	return strings.Join(parts, ", ")
}

// mainTable builds the table of cells and ops.
func mainTable(files []*results.File, names []string, n *notes) *table {
	t := &table{
		header: []string{"config", "strategy", "params", "op", "runs", "ops/s", "MB/s", "p50", "p99", "p99.9", "errors", "stale", "foreign", "torn", "corrupt", "fsck", "flag"},
		right:  []bool{false, false, false, false, true, true, true, true, true, true, true, true, true, true, true, false, false},
	}
	const errorsCol = 10
	defer dropIfZero(t, errorsCol)
	flagged := false
	for fi, f := range files {
		asked := Asked(f)
		for ci := range f.Results {
			c := &f.Results[ci]
			stalled := stalledJobs(c, asked[results.Key(c)])
			for oi, op := range results.CellOps(c) {
				s := results.SummaryOf(c, op)
				rate := units.SI(s.OpsPerSec.Median) + " ± " + FormatCI(s.OpsPerSec)
				if s.OpsPerSec.Unbounded {
					for _, w := range s.OpsPerSec.Warnings {
						rate += " " + n.mark(w)
					}
				}
				p99 := "-"
				if s.P99Ns.N > 0 {
					p99 = units.Ns(s.P99Ns.Median)
				}
				p50, p999 := "-", "-"
				if s.P99Ns.N > 0 {
					p50 = units.Ns(results.RunsEstimate(c, op, true, func(o results.OpStats) float64 { return o.LatencyNs.P50 }, results.DefaultConfidence).Median)
					p999 = units.Ns(results.RunsEstimate(c, op, true, func(o results.OpStats) float64 { return o.LatencyNs.P999 }, results.DefaultConfidence).Median)
				}
				mb := fmtMB(results.RunsEstimate(c, op, false, func(o results.OpStats) float64 { return o.BytesPerSec }, results.DefaultConfidence).Median)
				stale, foreign, torn := findings(c, op, oi == 0, n)
				flag := ""
				if st, ok := stalled[op]; ok {
					flag, flagged = "STALLED: "+st.String(), true
				}
				t.add(names[fi], c.Strategy, paramsOrDash(c.Params), op, strconv.Itoa(s.OpsPerSec.N),
					rate, mb, p50, p99, p999, errorsOf(c, op), stale, foreign, torn, corruptOf(c), fsckOf(c), flag)
			}
		}
	}
	if !flagged { // the column only when it says something
		t.header = t.header[:len(t.header)-1]
		t.right = t.right[:len(t.right)-1]
		for i := range t.rows {
			t.rows[i] = t.rows[i][:len(t.rows[i])-1]
		}
	}
	return t
}

// memoryTable builds the memory table: per cell, the peak RSS of its runs and
// the range of the RSS sampled per measurement interval. nil when no run says.
func memoryTable(files []*results.File, names []string) *table {
	t := &table{
		header: []string{"config", "strategy", "params", "runs", "peak RSS", "RSS over intervals", "buffer waits/s", "loose buffers/s"},
		right:  []bool{false, false, false, true, true, true, true, true},
	}
	for fi, c := range cells(files) {
		var peak, lo, hi int64
		var waits, loose []float64
		for _, r := range c.Runs {
			peak = max(peak, r.PeakRSSBytes)
			if bp := r.BufferPool; bp != nil && r.DurationNs > 0 {
				secs := float64(r.DurationNs) / 1e9
				waits = append(waits, float64(bp.Throttled)/secs)
				loose = append(loose, float64(bp.Loose)/secs)
			}
			for _, iv := range r.Intervals {
				if b := iv.RSSBytes; b > 0 {
					if lo == 0 || b < lo {
						lo = b
					}
					hi = max(hi, b)
				}
			}
		}
		if peak == 0 && hi == 0 {
			continue
		}
		span := "-"
		if hi > 0 {
			span = fmtMiB(lo) + " – " + fmtMiB(hi)
		}
		w, l := "-", "-"
		if len(waits) > 0 {
			w = units.SI(results.EstimateOf(waits, results.DefaultConfidence).Median)
			l = units.SI(results.EstimateOf(loose, results.DefaultConfidence).Median)
		}
		t.add(names[fi], c.Strategy, paramsOrDash(c.Params), strconv.Itoa(len(c.Runs)), fmtMiB(peak), span, w, l)
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}

// fmtPercent shows part of whole as a percentage: one decimal, or two
// significant digits below 0.1%, so that a share too small for one decimal
// (a few contended acquisitions of millions, with milliseconds of wait) does
// not read as 0.
func fmtPercent(part, whole int64) string {
	pct := 100 * float64(part) / float64(whole)
	if part == 0 || pct >= 0.1 {
		return strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	decimals := 1 - int(math.Floor(math.Log10(pct)))
	return strconv.FormatFloat(pct, 'f', decimals, 64) + "%"
}

// fmtBound shows a histogram quantile, the upper bound of its log2 bucket.
func fmtBound(ns float64) string {
	if ns == 0 {
		return "0"
	}
	return "<" + units.Ns(ns)
}

// violations lists the lock validator's findings: per cell, the first line of
// each distinct finding over its runs (the full reports, with stacks, are in the
// results file). nil when there are none.
func violations(files []*results.File, names []string) []string {
	var out []string
	for fi, c := range cells(files) {
		seen := map[string]bool{}
		var lines []string
		runs := 0
		for _, r := range c.Runs {
			if len(r.Violations) > 0 {
				runs++
			}
			for _, v := range r.Violations {
				first, _, _ := strings.Cut(v, "\n")
				if !seen[first] {
					seen[first] = true
					lines = append(lines, first)
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s: %d distinct in %d of %d runs", names[fi], c.Strategy,
			paramsOrDash(c.Params), len(lines), runs, len(c.Runs)))
		for _, l := range lines {
			out = append(out, "  "+l)
		}
	}
	return out
}

// writeText writes the text or the Markdown report.
func writeText(w io.Writer, files []*results.File, md bool) error {
	var b strings.Builder
	names := configNames(files)
	var n notes
	main := mainTable(files, names, &n)
	locks := lockTable(files, names)
	found := violations(files, names)
	calib, verdicts := calibrationTable(files, names)
	memory := memoryTable(files, names)

	if md {
		b.WriteString("### rwbench results\n\n")
	}
	for i, f := range files {
		if md {
			lines := []string{mdEscape(fileLine(f, names[i])), mdEscape(machine.Header(f.Machine))}
			for _, l := range conditionLines(f) {
				lines = append(lines, mdEscape(l))
			}
			b.WriteString("- " + strings.Join(lines, "  \n  ") + "\n")
			for _, l := range AnswerOf(f).Lines {
				b.WriteString("  - " + mdEscape(l) + "\n")
			}
		} else {
			b.WriteString(fileLine(f, names[i]) + "\n")
			b.WriteString("machine " + machine.Header(f.Machine) + "\n")
			for _, l := range conditionLines(f) {
				b.WriteString(l + "\n")
			}
			for _, l := range AnswerOf(f).Lines {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	b.WriteByte('\n')
	if md {
		main.markdown(&b)
	} else {
		main.text(&b)
	}
	if len(n.texts) > 0 {
		b.WriteByte('\n')
		for i, t := range n.texts {
			line := superscript(i+1) + " " + t
			if md {
				line = mdEscape(line) + "  "
			}
			b.WriteString(line + "\n")
		}
	}
	if calib != nil {
		b.WriteByte('\n')
		if md {
			b.WriteString("#### Calibration\n\nratio: the model's median ops/s over the reference's (vs); " + mdEscape(verdicts.line()) + ".\n\n")
			calib.markdown(&b)
		} else {
			b.WriteString("calibration (ratio: the model's median ops/s over the reference's; " + verdicts.line() + ")\n")
			calib.text(&b)
		}
	}
	writeKernelSections(&b, files, names, md)
	if memory != nil {
		b.WriteByte('\n')
		const what = "peak RSS: the process's high-water mark over a run, prefill and after-run check included, " +
			"the largest of the runs; RSS over intervals: the largest sample of each measurement interval, lowest – highest; " +
			"buffer waits: the model's takes of page buffers that waited (up to 200µs) at the pool's bound, and the buffers " +
			"it then allocated loose, per second, medians over the runs"
		if md {
			b.WriteString("#### Memory\n\n" + what + ".\n\n")
			memory.markdown(&b)
		} else {
			b.WriteString("memory (" + what + ")\n")
			memory.text(&b)
		}
	}
	if locks != nil {
		b.WriteByte('\n')
		if md {
			b.WriteString("#### Locks\n\nacq/op: acquisitions per op of the cell; wait/run: total wait of a run; " +
				"p50, p99: over all acquisitions (an uncontended one waits 0), upper bounds of log2 buckets" + kernelLockNote(files) + ".\n\n")
			locks.markdown(&b)
		} else {
			b.WriteString("locks (acq/op: acquisitions per op of the cell; wait/run: total wait of a run; " +
				"p50, p99: over all acquisitions (an uncontended one waits 0), upper bounds of log2 buckets" + kernelLockNote(files) + ")\n")
			locks.text(&b)
		}
	}
	if len(found) > 0 {
		b.WriteByte('\n')
		if md {
			b.WriteString("#### Lock validator findings\n\nThe full reports, with stacks, are in the results file (violations).\n\n")
			for _, l := range found {
				if strings.HasPrefix(l, "  ") {
					b.WriteString("  - " + mdEscape(strings.TrimSpace(l)) + "\n")
				} else {
					b.WriteString("- " + mdEscape(l) + "\n")
				}
			}
		} else {
			b.WriteString("lock validator findings (the full reports, with stacks, are in the results file)\n")
			for _, l := range found {
				b.WriteString(l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cells yields every cell of every file, with the index of its file.
func cells(files []*results.File) iter.Seq2[int, *results.Cell] {
	return func(yield func(int, *results.Cell) bool) {
		for fi, f := range files {
			for ci := range f.Results {
				if !yield(fi, &f.Results[ci]) {
					return
				}
			}
		}
	}
}
