package plots

import (
	"fmt"

	"github.com/rwbench/rwbench/results"
)

// percentile is one point of the latency spectrum.
type percentile struct {
	label string
	x     float64 // 1/(1-q)
	// of is the percentile's estimate over the runs of a cell that timed op,
	// as the tables give it.
	of func(c *results.Cell, op string) results.Estimate
}

// percentiles are the points of the spectrum. p99 is the cell's summary (the
// tables' p99 column); the others are estimated over the same runs.
func percentiles() []percentile {
	over := func(get func(results.Latency) float64) func(*results.Cell, string) results.Estimate {
		return func(c *results.Cell, op string) results.Estimate {
			return results.RunsEstimate(c, op, true, func(s results.OpStats) float64 { return get(s.LatencyNs) }, results.DefaultConfidence)
		}
	}
	return []percentile{
		{"50", 2, over(func(l results.Latency) float64 { return l.P50 })},
		{"90", 10, over(func(l results.Latency) float64 { return l.P90 })},
		{"99", 100, func(c *results.Cell, op string) results.Estimate { return results.SummaryOf(c, op).P99Ns }},
		{"99.9", 1000, over(func(l results.Latency) float64 { return l.P999 })},
		{"99.99", 10000, over(func(l results.Latency) float64 { return l.P9999 })},
	}
}

func (b *builder) latency(fd *fileData, p *panel, op string) {
	pcts := percentiles()
	out := &Lines{XLog: true, YLog: true, Glyphs: true, YUnit: "ns"}
	for _, pc := range pcts {
		out.XTicks = append(out.XTicks, Tick{Value: pc.x, Label: pc.label})
	}
	for _, c := range p.cells {
		ls := LineSeries{Name: c.label, Style: c.style}
		for _, pc := range pcts {
			// A log axis has no place for 0 (a run that timed nothing).
			if e := pc.of(c.res, op); e.N > 0 && e.Median > 0 && isFinite(e.Median) {
				ls.Points = append(ls.Points, Point{X: pc.x, Y: e.Median, N: e.N})
			}
		}
		if len(ls.Points) > 0 {
			out.Series = append(out.Series, ls)
		}
	}
	if len(out.Series) == 0 {
		return
	}
	b.add(fd, Chart{
		Kind:   KindLatency,
		Title:  fmt.Sprintf("%s — %s latency percentiles%s", fd.config, op, bracket(p.label)),
		Op:     op,
		Params: p.params,
		XLabel: "percentile   (point: median over runs)",
		YLabel: op + " latency (log scale)",
		Lines:  out,
	}, "latency", op, p.slug)
}
