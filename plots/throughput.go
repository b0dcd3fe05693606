package plots

import (
	"math"

	"github.com/rwbench/rwbench/results"
)

// Stat names what a bar or point value is.
const (
	StatMedian = "median" // median of the runs
	StatMean   = "mean"   // mean over the runs (the sum divided by the runs)
	StatSum    = "sum"    // sum over the runs
)

// What a whisker shows.
const (
	WhiskerCI    = "ci"    // the confidence interval of the median (benchmath), as in the tables
	WhiskerRange = "range" // the lowest and highest run: too few runs for a bounded interval
)

// throughputBar is a cell's ops/s for op: the median of its runs with the
// interval the tables give (results.SummaryOf), drawn by summaryBar.
func throughputBar(c *cell, op string) Bar {
	if s := results.SummaryOf(c.res, op).OpsPerSec; s.N > 0 && isFinite(s.Median) {
		return summaryBar(s)
	}
	return Bar{Stat: StatMedian}
}

// statNote says what the bars or points of a throughput chart and their
// whiskers show, given the whiskers drawn.
func statNote(whiskers map[string]bool, what string) string {
	const ci = "95% CI of the median (benchmath, as in the tables)"
	switch {
	case whiskers[WhiskerCI] && whiskers[WhiskerRange]:
		return what + ": median of runs; whisker: " + ci + ", or the range of the runs where too few bound it"
	case whiskers[WhiskerRange]:
		return what + ": median of runs; whisker: range of the runs (too few for a 95% CI)"
	case whiskers[WhiskerCI]:
		return what + ": median of runs; whisker: " + ci
	}
	return what + ": median of runs"
}

func (b *builder) throughput(fd *fileData, p *panel) {
	bars := &Bars{Groups: p.ops, ValueLabels: true, Panels: true}
	stats := map[string]bool{}
	have := false
	for _, c := range p.cells {
		s := BarSeries{Name: c.label, Style: c.style}
		for _, op := range p.ops {
			bar := throughputBar(c, op)
			if bar.N > 0 {
				have = true
				stats[bar.Whisker] = true
			}
			s.Bars = append(s.Bars, bar)
		}
		bars.Series = append(bars.Series, s)
	}
	if !have {
		return
	}
	b.add(fd, Chart{
		Kind:   KindThroughput,
		Title:  fd.config + " — throughput" + bracket(p.label),
		Params: p.params,
		XLabel: statNote(stats, "bar") + "; a panel per op, each with its own scale",
		YLabel: "throughput (ops/s)",
		Bars:   bars,
	}, "throughput", p.slug)
}

// summaryBar is the bar of an estimate: its median, with a whisker showing
// its interval when it is a confidence interval at the tables' level
// (results.DefaultConfidence), and the range of the runs when too few runs
// bound one (Whisker says which); one run gives no whisker.
func summaryBar(e results.Estimate) Bar {
	b := Bar{Value: e.Median, Lo: e.Median, Hi: e.Median, N: e.N, Stat: StatMedian}
	switch {
	case e.N < 2 || !isFinite(e.Lo) || !isFinite(e.Hi):
	case !e.Unbounded && e.Confidence >= results.DefaultConfidence-1e-9:
		b.Lo, b.Hi, b.ErrorBar, b.Whisker = e.Lo, e.Hi, true, WhiskerCI
	default:
		b.Lo, b.Hi, b.ErrorBar, b.Whisker = e.Lo, e.Hi, true, WhiskerRange
	}
	return b
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
