package plots

import (
	"math"

	"github.com/montanaflynn/stats"
	"github.com/rwbench/rwbench/results"
)

// confidence is the level of every confidence interval drawn.
const confidence = 0.95

// Stat names what a bar or point value is.
const (
	StatMedian = "median" // median of the runs
	StatSum    = "sum"    // sum over the runs
)

// What a whisker shows.
const (
	WhiskerCI    = "ci"    // the confidence interval of the median (benchmath), as in the tables
	WhiskerRange = "range" // the lowest and highest run: too few runs for a bounded interval
)

// estimateBar is the bar of a sample: its median, with a whisker showing the
// same interval the tables give (results.EstimateOf, benchmath's
// distribution-free one) when it is bounded at level, and the range of the
// runs when too few runs bound it (Whisker says which); one run gives no
// whisker, none no bar. Non-finite values are ignored.
func estimateBar(sample []float64, level float64) Bar {
	xs := finite(sample)
	if len(xs) == 0 {
		return Bar{Stat: StatMedian}
	}
	return summaryBar(results.EstimateOf(xs, level), level)
}

// summaryBar is the bar of an estimate: see estimateBar.
func summaryBar(e results.Estimate, level float64) Bar {
	b := Bar{Value: e.Median, Lo: e.Median, Hi: e.Median, N: e.N, Stat: StatMedian}
	switch {
	case e.N < 2 || !isFinite(e.Lo) || !isFinite(e.Hi):
	case !e.Unbounded && e.Confidence >= level-1e-9:
		b.Lo, b.Hi, b.ErrorBar, b.Whisker = e.Lo, e.Hi, true, WhiskerCI
	default:
		b.Lo, b.Hi, b.ErrorBar, b.Whisker = e.Lo, e.Hi, true, WhiskerRange
	}
	return b
}

// median returns the median of the finite values of xs, and false when there are none.
func median(xs []float64) (float64, bool) {
	xs = finite(xs)
	if len(xs) == 0 {
		return 0, false
	}
	m, err := stats.Median(xs)
	return m, err == nil
}

func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
