package plots

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/montanaflynn/stats"
	"github.com/rwbench/rwbench/results"
)

func (b *builder) timeline(fd *fileData, p *panel, op string) {
	out := &Lines{XFromZero: true, YFromZero: true}
	var lengths []float64
	for _, c := range p.cells {
		for _, r := range c.res.Runs {
			pts, lens := timelinePoints(r, op)
			if len(pts) == 0 {
				continue
			}
			lengths = append(lengths, lens...)
			out.Series = append(out.Series, LineSeries{Name: c.label, Style: c.style, Points: pts})
			break // the first run with intervals
		}
	}
	if len(out.Series) == 0 {
		return
	}
	yl := op + " throughput (ops/s)"
	if m, ok := typicalLength(lengths); ok {
		yl = fmt.Sprintf("%s throughput (ops/s per %v interval)", op, time.Duration(m).Round(time.Millisecond))
	}
	b.add(fd, Chart{
		Kind:   KindTimeline,
		Title:  fmt.Sprintf("%s — %s throughput over time (first run)%s", fd.config, op, bracket(p.label)),
		Op:     op,
		Params: p.params,
		XLabel: timeAxis(out),
		YLabel: yl,
		Lines:  out,
	}, "timeline", op, p.slug)
}

// minTimelineIntervals is the fewest intervals a timeline shows without a
// note that it is too short to show a trend.
const minTimelineIntervals = 5

// timeAxis is the X label of a chart over the measurement intervals, with a
// note under the axis (where it cannot cover a line) when there are too few
// of them to show a trend; the points are then marked, as so few are easily
// missed.
func timeAxis(out *Lines) string {
	xl := "time since measurement start (s)"
	if n := maxPoints(out.Series); n < minTimelineIntervals {
		xl += fmt.Sprintf("   (only %d interval%s: too short a run to show a trend)", n, map[bool]string{true: "", false: "s"}[n == 1])
		out.Glyphs = true
	}
	return xl
}

// maxPoints is the most points of any of the series.
func maxPoints(series []LineSeries) int {
	n := 0
	for _, s := range series {
		n = max(n, len(s.Points))
	}
	return n
}

// timelinePoints returns the ops/s of op in each interval of r, at the interval's
// middle, and the intervals' lengths in ns (see intervalSpans).
func timelinePoints(r results.Run, op string) ([]Point, []float64) {
	has := false
	for _, x := range r.Intervals {
		if _, ok := x.Ops[op]; ok {
			has = true
		}
	}
	if !has {
		return nil, nil
	}
	return intervalPoints(r, func(x results.Interval, ns float64) (float64, bool) {
		return float64(x.Ops[op]) / (ns / 1e9), true
	})
}

// intervalPoints returns y of each interval of r, at the interval's middle, and
// the lengths in ns of the intervals it kept. An interval lasts until the next
// one starts; the last one as long as the median of the others (or, alone,
// until the end of the run).
func intervalPoints(r results.Run, y func(x results.Interval, ns float64) (float64, bool)) ([]Point, []float64) {
	iv := slices.Clone(r.Intervals)
	slices.SortStableFunc(iv, func(a, b results.Interval) int { return cmp.Compare(a.StartNs, b.StartNs) })
	lens := make([]float64, len(iv))
	var gaps []float64
	for i := 0; i+1 < len(iv); i++ {
		lens[i] = float64(iv[i+1].StartNs - iv[i].StartNs)
		if lens[i] > 0 {
			gaps = append(gaps, lens[i])
		}
	}
	if n := len(iv); n > 0 {
		if m, ok := typicalLength(gaps); ok {
			lens[n-1] = m
		} else {
			lens[n-1] = float64(r.DurationNs - iv[n-1].StartNs)
		}
	}
	var pts []Point
	var used []float64
	for i, x := range iv {
		if lens[i] <= 0 {
			continue
		}
		v, ok := y(x, lens[i])
		if !ok {
			continue
		}
		pts = append(pts, Point{X: (float64(x.StartNs) + lens[i]/2) / 1e9, Y: v})
		used = append(used, lens[i])
	}
	return pts, used
}

// typicalLength is the median of interval lengths (ns): what the axis says an
// interval lasts, and how long the last one, which has no successor, is taken
// to be. It describes the timeline's geometry, not a result over runs, which
// results summarizes.
func typicalLength(ns []float64) (float64, bool) {
	if len(ns) == 0 {
		return 0, false
	}
	m, err := stats.Median(ns)
	return m, err == nil
}
