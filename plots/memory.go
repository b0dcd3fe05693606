package plots

import (
	"fmt"

	"github.com/rwbench/rwbench/results"
)

// rssPoints returns the largest RSS sampled in each interval of r, in MiB, at
// the interval's middle (intervals without a sample are skipped).
func rssPoints(r results.Run) []Point {
	pts, _ := intervalPoints(r, func(x results.Interval, _ float64) (float64, bool) {
		return float64(x.RSSBytes) / (1 << 20), x.RSSBytes > 0
	})
	return pts
}

// memory draws the process's resident set over the first run of each cell
// that sampled it: the largest RSS of each interval.
func (b *builder) memory(fd *fileData, p *panel) {
	out := &Lines{XFromZero: true, YFromZero: true}
	for _, c := range p.cells {
		for _, r := range c.res.Runs {
			if pts := rssPoints(r); len(pts) > 0 {
				out.Series = append(out.Series, LineSeries{Name: c.label, Style: c.style, Points: pts})
				break // the first run with samples
			}
		}
	}
	if len(out.Series) == 0 {
		return
	}
	b.add(fd, Chart{
		Kind:   KindTimeline,
		Title:  fmt.Sprintf("%s — resident set over time (first run)%s", fd.config, bracket(p.label)),
		Params: p.params,
		XLabel: timeAxis(out),
		YLabel: "RSS (MiB, largest sample per interval)",
		Lines:  out,
	}, "memory", p.slug)
}
