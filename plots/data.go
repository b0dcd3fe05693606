package plots

import (
	"cmp"
	"fmt"
	"github.com/rwbench/rwbench/machine"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rwbench/rwbench/results"
)

// maxLockRows is the most lock sites a lock chart shows (those with the longest waits).
const maxLockRows = 12

// Data computes the charts of the given results files (nil files are skipped). It
// never fails: what a file lacks is left out.
func Data(files ...*results.File) *Dataset {
	b := &builder{used: map[string]bool{}}
	for _, f := range files {
		if f != nil {
			b.file(f)
		}
	}
	return &Dataset{Charts: b.charts}
}

// builder accumulates the charts and the file names in use.
type builder struct {
	charts []Chart
	used   map[string]bool
}

// cell is a strategy at one sweep point, with its runs (cells repeated in a file
// are merged).
type cell struct {
	label   string
	style   int
	params  map[string]string
	runs    []results.Run
	summary map[string]results.OpSummary
}

// panel is one sweep point: the cells sharing one set of Params, in strategy order.
type panel struct {
	params map[string]string
	label  string // "threads=8, size=4k"; empty without a sweep
	slug   string // "threads-8_size-4k"; empty without a sweep
	cells  []*cell
	ops    []string
}

// fileData is one results file made ready for charting.
type fileData struct {
	config  string
	machine string
	stem    string
	panels  []*panel
	cells   []*cell // panel by panel, in strategy order
	keys    []string
}

func (b *builder) unique(name string) string {
	u := name
	for i := 2; b.used[u]; i++ {
		u = fmt.Sprintf("%s-%d", name, i)
	}
	b.used[u] = true
	return u
}

func (b *builder) add(fd *fileData, c Chart, parts ...string) {
	name := fd.stem
	for _, p := range parts {
		if p != "" {
			name += "-" + sanitize(p)
		}
	}
	c.File = b.unique(name)
	c.Config = fd.config
	c.Machine = fd.machine
	b.charts = append(b.charts, c)
}

func (b *builder) file(f *results.File) {
	fd := newFileData(f)
	stem := sanitize(fd.config)
	for i := 2; b.usedStem(stem); i++ {
		stem = fmt.Sprintf("%s-%d", sanitize(fd.config), i)
	}
	fd.stem = stem
	b.used["stem:"+stem] = true

	for _, p := range fd.panels {
		b.throughput(fd, p)
	}
	b.sweeps(fd)
	for _, p := range fd.panels {
		for _, op := range p.ops {
			b.latency(fd, p, op)
		}
	}
	for _, p := range fd.panels {
		for _, op := range p.ops {
			b.timeline(fd, p, op)
		}
	}
	for _, p := range fd.panels {
		b.memory(fd, p)
	}
	for _, p := range fd.panels {
		b.locks(fd, p)
	}
	for _, p := range fd.panels {
		b.findings(fd, p)
	}
}

func (b *builder) usedStem(stem string) bool { return b.used["stem:"+stem] }

func newFileData(f *results.File) *fileData {
	fd := &fileData{config: f.Name, machine: machineHeader(f)}
	if fd.config == "" {
		fd.config = "rwbench"
	}

	// Strategies: the known ones in their canonical order, then the others as they appear.
	var labels []string
	for _, c := range f.Results {
		if l := cellLabel(c); !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	unknown := 0
	style := map[string]int{}
	for _, l := range labels {
		if r := strategyRank(l); r >= 0 {
			style[l] = r
		} else {
			style[l] = knownStrategies + unknown
			unknown++
		}
	}
	slices.SortStableFunc(labels, func(a, b string) int { return cmp.Compare(style[a], style[b]) })

	byKey := map[string]*panel{}
	keys := map[string]bool{}
	for _, c := range f.Results {
		k := paramsLabel(c.Params)
		p := byKey[k]
		if p == nil {
			p = &panel{params: c.Params, label: k, slug: paramsSlug(c.Params)}
			byKey[k] = p
			fd.panels = append(fd.panels, p)
		}
		for key := range c.Params {
			keys[key] = true
		}
		l := cellLabel(c)
		i := slices.IndexFunc(p.cells, func(x *cell) bool { return x.label == l })
		if i >= 0 {
			// A repeated cell: pool the runs; no single Summary describes them.
			p.cells[i].runs = append(p.cells[i].runs, c.Runs...)
			p.cells[i].summary = nil
			continue
		}
		p.cells = append(p.cells, &cell{
			label:   l,
			style:   style[l],
			params:  c.Params,
			runs:    slices.Clone(c.Runs),
			summary: c.Summary.Ops,
		})
	}
	fd.keys = slices.Sorted(maps.Keys(keys))
	for _, p := range fd.panels {
		slices.SortStableFunc(p.cells, func(a, b *cell) int { return cmp.Compare(a.style, b.style) })
		fd.cells = append(fd.cells, p.cells...)
		seen := map[string]bool{}
		opOf := map[string]string{}
		for _, c := range p.cells {
			for op := range c.summary {
				seen[op] = true
			}
			for _, r := range c.runs {
				for key, st := range r.Ops {
					seen[key] = true
					opOf[key] = results.OpOf(key, st)
				}
			}
		}
		p.ops = slices.Collect(maps.Keys(seen))
		results.SortKeys(p.ops, opOf)
	}
	return fd
}

// throughputBar is a cell's ops/s for op: the median of its runs, with the
// whisker of estimateBar (the tables' interval, or the range with too few
// runs); without runs, the cell's Summary.
func throughputBar(c *cell, op string) Bar {
	var xs []float64
	for _, r := range c.runs {
		if st, ok := r.Ops[op]; ok {
			xs = append(xs, st.OpsPerSec)
		}
	}
	if len(xs) > 0 {
		return estimateBar(xs, confidence)
	}
	if s, ok := c.summary[op]; ok && s.OpsPerSec.N > 0 && isFinite(s.OpsPerSec.Median) {
		return summaryBar(s.OpsPerSec, confidence)
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

// sweeps draws, for every swept key and op, ops/s against the key's value.
func (b *builder) sweeps(fd *fileData) {
	for _, key := range fd.keys {
		var values []string
		for _, c := range fd.cells {
			if v, ok := c.params[key]; ok && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			continue
		}
		pos, numeric := sweepPositions(values)
		ticks := make([]Tick, len(values))
		for i, v := range values {
			ticks[i] = Tick{Value: pos[v], Label: v}
		}
		slices.SortStableFunc(ticks, func(a, b Tick) int { return cmp.Compare(a.Value, b.Value) })
		xlog := false
		if numeric {
			lo, hi := ticks[0].Value, ticks[len(ticks)-1].Value
			xlog = lo > 0 && hi/lo >= 16
		}

		var ops []string
		for _, c := range fd.cells {
			if _, ok := c.params[key]; !ok {
				continue
			}
			for _, p := range fd.panels {
				if slices.Contains(p.cells, c) {
					for _, op := range p.ops {
						if !slices.Contains(ops, op) {
							ops = append(ops, op)
						}
					}
				}
			}
		}
		ops = sortOps(ops)

		for _, op := range ops {
			// One line per strategy and combination of the other swept keys.
			type lineKey struct{ label, others string }
			var order []lineKey
			lines := map[lineKey]*LineSeries{}
			dashes := map[string]int{}
			stats := map[string]bool{}
			for _, c := range fd.cells {
				v, ok := c.params[key]
				if !ok {
					continue
				}
				others := paramsLabel(without(c.params, key))
				if _, ok := dashes[others]; !ok {
					dashes[others] = len(dashes)
				}
				k := lineKey{c.label, others}
				ls := lines[k]
				if ls == nil {
					name := c.label
					if others != "" {
						name += " " + others
					}
					ls = &LineSeries{Name: name, Style: c.style, Dash: dashes[others]}
					lines[k] = ls
					order = append(order, k)
				}
				bar := throughputBar(c, op)
				if bar.N == 0 {
					continue
				}
				stats[bar.Whisker] = true
				ls.Points = append(ls.Points, Point{
					X: pos[v], Y: bar.Value, Lo: bar.Lo, Hi: bar.Hi, ErrorBar: bar.ErrorBar, N: bar.N,
				})
			}
			slices.SortStableFunc(order, func(a, b lineKey) int {
				return cmp.Or(cmp.Compare(lines[a].Style, lines[b].Style), cmp.Compare(lines[a].Dash, lines[b].Dash))
			})
			out := &Lines{XLog: xlog, YFromZero: true, XTicks: ticks, Glyphs: true}
			for _, k := range order {
				ls := lines[k]
				if len(ls.Points) == 0 {
					continue
				}
				slices.SortStableFunc(ls.Points, func(a, b Point) int { return cmp.Compare(a.X, b.X) })
				out.Series = append(out.Series, *ls)
			}
			if len(out.Series) == 0 {
				continue
			}
			xl := key
			if xlog {
				xl += " (log scale)"
			}
			b.add(fd, Chart{
				Kind:   KindSweep,
				Title:  fmt.Sprintf("%s — %s throughput vs %s", fd.config, op, key),
				Op:     op,
				Swept:  key,
				XLabel: xl + "   (" + statNote(stats, "point") + ")",
				YLabel: op + " throughput (ops/s)",
				Lines:  out,
			}, "sweep", key, op)
		}
	}
}

// percentile is one point of the latency spectrum.
type percentile struct {
	label string
	x     float64 // 1/(1-q)
	get   func(results.Latency) float64
}

func percentiles() []percentile {
	return []percentile{
		{"50", 2, func(l results.Latency) float64 { return l.P50 }},
		{"90", 10, func(l results.Latency) float64 { return l.P90 }},
		{"99", 100, func(l results.Latency) float64 { return l.P99 }},
		{"99.9", 1000, func(l results.Latency) float64 { return l.P999 }},
		{"99.99", 10000, func(l results.Latency) float64 { return l.P9999 }},
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
			var xs []float64
			for _, r := range c.runs {
				if st, ok := r.Ops[op]; ok && st.Count > 0 {
					if v := pc.get(st.LatencyNs); v > 0 {
						xs = append(xs, v)
					}
				}
			}
			if m, ok := median(xs); ok && m > 0 {
				ls.Points = append(ls.Points, Point{X: pc.x, Y: m, N: len(xs)})
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

func (b *builder) timeline(fd *fileData, p *panel, op string) {
	out := &Lines{XFromZero: true, YFromZero: true}
	var lengths []float64
	for _, c := range p.cells {
		for _, r := range c.runs {
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
	if m, ok := median(lengths); ok {
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

// rssPoints returns the largest RSS sampled in each interval of r, in MiB, at
// the interval's middle (intervals without a sample are skipped).
func rssPoints(r results.Run) []Point {
	pts, _ := intervalPoints(r, func(x results.Interval, _ float64) (float64, bool) {
		return float64(x.RSSBytes) / (1 << 20), x.RSSBytes > 0
	})
	return pts
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
		if m, ok := median(gaps); ok {
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

// memory draws the process's resident set over the first run of each cell
// that sampled it: the largest RSS of each interval.
func (b *builder) memory(fd *fileData, p *panel) {
	out := &Lines{XFromZero: true, YFromZero: true}
	for _, c := range p.cells {
		for _, r := range c.runs {
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

func (b *builder) locks(fd *fileData, p *panel) {
	type lockKey struct{ lock, site, mode string }
	var keys []lockKey
	for _, c := range p.cells {
		for _, r := range c.runs {
			for _, l := range r.Locks {
				if k := (lockKey{l.Lock, l.Site, l.Mode}); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	// Median over a cell's runs of each run's total wait at the site, in ms.
	wait := map[lockKey][]Bar{}
	peak := map[lockKey]float64{}
	for _, k := range keys {
		for _, c := range p.cells {
			var xs []float64
			for _, r := range c.runs {
				var ns int64
				for _, l := range r.Locks {
					if (lockKey{l.Lock, l.Site, l.Mode}) == k {
						ns += l.WaitNs
					}
				}
				xs = append(xs, float64(ns))
			}
			m, _ := median(xs)
			wait[k] = append(wait[k], Bar{Value: m, N: len(xs), Stat: StatMedian})
			peak[k] = math.Max(peak[k], m)
		}
	}
	label := func(k lockKey) string {
		s := k.lock
		if k.mode != "" {
			s += " (" + shortMode(k.mode) + ")"
		}
		if k.site != "" {
			s += " @ " + k.site
		}
		return s
	}
	slices.SortStableFunc(keys, func(a, b lockKey) int {
		return cmp.Or(cmp.Compare(peak[b], peak[a]), cmp.Compare(label(a), label(b)))
	})
	title := fd.config + " — lock wait time"
	if len(keys) > maxLockRows {
		title += fmt.Sprintf(" (top %d of %d sites)", maxLockRows, len(keys))
		keys = keys[:maxLockRows]
	}
	bars := &Bars{Horizontal: true, Unit: "ns"}
	for _, k := range keys {
		bars.Groups = append(bars.Groups, label(k))
	}
	for i, c := range p.cells {
		s := BarSeries{Name: c.label, Style: c.style}
		for _, k := range keys {
			s.Bars = append(s.Bars, wait[k][i])
		}
		bars.Series = append(bars.Series, s)
	}
	note := ""
	if peak[keys[0]] == 0 {
		note = "no lock waits"
	}
	b.add(fd, Chart{
		Kind:   KindLocks,
		Title:  title + bracket(p.label),
		Params: p.params,
		XLabel: "wait time per run (median of runs)",
		YLabel: "lock (mode) @ call site",
		Note:   note,
		Bars:   bars,
	}, "locks", p.slug)
}

const (
	groupUnattributed = "unattributed"
	groupCorrupt      = "corrupt"
)

func (b *builder) findings(fd *fileData, p *panel) {
	runs := 0
	seen := map[string]bool{}
	for _, c := range p.cells {
		runs += len(c.runs)
		for _, r := range c.runs {
			for op := range r.Verify.ByOp {
				seen[op] = true
			}
		}
	}
	if runs == 0 {
		return
	}
	groups := sortOps(slices.Collect(maps.Keys(seen)))
	if len(groups) == 0 {
		// No path returned stale data: show the ops of the jobs that return data.
		paths := map[string]bool{}
		for _, c := range p.cells {
			for _, r := range c.runs {
				for key, st := range r.Ops {
					if op := results.OpOf(key, st); returnsData(op) {
						paths[op] = true
					}
				}
			}
		}
		groups = sortOps(slices.Collect(maps.Keys(paths)))
	}
	// Findings the oracle did not attribute to a path.
	unattributed := false
	for _, c := range p.cells {
		for _, r := range c.runs {
			var s, fo int64
			for _, f := range r.Verify.ByOp {
				s += f.Stale
				fo += f.Foreign
			}
			if r.Verify.Stale > s || r.Verify.Foreign > fo {
				unattributed = true
			}
		}
	}
	if unattributed {
		groups = append(groups, groupUnattributed)
	}
	groups = append(groups, groupCorrupt)

	bars := &Bars{Groups: groups, LowerLabel: "stale", UpperLabel: "foreign", Integer: true, ValueLabels: true}
	var total, checked int64
	for _, c := range p.cells {
		s := BarSeries{Name: c.label, Style: c.style}
		for _, g := range groups {
			var stale, foreign int64
			for _, r := range c.runs {
				v := r.Verify
				switch g {
				case groupCorrupt:
					stale += v.Corrupt
				case groupUnattributed:
					var bs, bf int64
					for _, f := range v.ByOp {
						bs += f.Stale
						bf += f.Foreign
					}
					stale += max(0, v.Stale-bs)
					foreign += max(0, v.Foreign-bf)
				default:
					stale += v.ByOp[g].Stale
					foreign += v.ByOp[g].Foreign
				}
			}
			total += stale + foreign
			s.Bars = append(s.Bars, Bar{
				Value: float64(stale + foreign), Lower: float64(stale), N: len(c.runs), Stat: StatSum,
			})
		}
		for _, r := range c.runs {
			checked += r.Verify.Checked
		}
		bars.Series = append(bars.Series, s)
	}
	title := fd.config + " — stale-data findings" + bracket(p.label)
	note := ""
	if total == 0 {
		title += ": no findings"
		if checked > 0 {
			note = "no findings in " + formatSI(float64(checked)) + " pages checked"
		} else {
			note = "no findings (no pages checked)"
		}
	}
	b.add(fd, Chart{
		Kind:   KindFindings,
		Title:  title,
		Params: p.params,
		XLabel: "path (the op that returned the data)",
		YLabel: "pages (sum over runs)",
		Note:   note,
		Bars:   bars,
	}, "findings", p.slug)
}

// machineHeader is the second title line of every chart of f.
func machineHeader(f *results.File) string {
	m := f.Machine
	var parts []string
	if s := machine.Short(m); s != "" {
		parts = append(parts, s)
	}
	if f.Partial {
		parts = append(parts, "partial run")
	}
	if f.Failed != "" {
		reason := f.Failed
		if r := []rune(reason); len(r) > 60 {
			reason = string(r[:59]) + "…"
		}
		parts = append(parts, "FAILED: "+reason)
	}
	if len(parts) == 0 {
		return "unknown machine"
	}
	return strings.Join(parts, " · ")
}

// knownStrategies is the number of strategies with a fixed rank and color.
const knownStrategies = 13

// strategyRank gives the known strategies (and the kernel and raw targets) a fixed
// order and palette index; -1 for others.
func strategyRank(s string) int {
	switch s {
	case "none":
		return 0
	case "irwsem":
		return 1
	case "perpage":
		return 2
	case "perbatch":
		return 3
	case "invalidate":
		return 4
	case "kernel":
		return 5
	case "raw":
		return 6
	case "rangelock":
		return 7
	case "lockentries":
		return 8
	case "naive":
		return 9
	case "xfs":
		return 10
	case "ext4":
		return 11
	case "btrfs":
		return 12
	}
	return -1
}

func cellLabel(c results.Cell) string {
	switch {
	case c.Strategy != "":
		return c.Strategy
	case c.Target != "":
		return c.Target
	}
	return "?"
}

// returnsData reports whether op hands page contents back (the paths through which
// stale data can be seen); ops not in the schema are assumed to.
func returnsData(op string) bool {
	switch op {
	case "write", "mkwrite", "punch", "truncate", "zero", "advise":
		return false
	}
	return true
}

func sortOps(ops []string) []string {
	results.SortOps(ops)
	return ops
}

func shortMode(m string) string {
	if m == "exclusive" {
		return "excl"
	}
	return m
}

func without(m map[string]string, key string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// paramsLabel is "k1=v1, k2=v2" in key order; empty for no params.
func paramsLabel(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// paramsSlug is "k1-v1_k2-v2" in key order, for file names.
func paramsSlug(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, sanitize(k)+"-"+sanitize(m[k]))
	}
	return strings.Join(parts, "_")
}

func bracket(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}

// sanitize keeps [A-Za-z0-9.+-] and replaces the rest by '_'.
func sanitize(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '+', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if strings.Trim(out, ".") == "" { // ".", ".." are not file names
		out = strings.ReplaceAll(out, ".", "_")
	}
	return out
}

// sweepPositions places sweep values on the X axis: at their numeric value when
// every value is a number or byte size (4k, 1MiB), or every value a duration (in
// seconds); otherwise at 0, 1, 2… in order of appearance.
func sweepPositions(values []string) (map[string]float64, bool) {
	pos := map[string]float64{}
	for _, parse := range []func(string) (float64, bool){parseSize, parseDuration} {
		ok := true
		for _, v := range values {
			x, good := parse(v)
			if !good {
				ok = false
				break
			}
			pos[v] = x
		}
		if ok {
			return pos, true
		}
		clear(pos)
	}
	for i, v := range values {
		pos[v] = float64(i)
	}
	return pos, false
}

// parseSize parses a number, optionally followed by a binary size suffix
// (k, K, KB, KiB, M, … T; B alone is bytes).
func parseSize(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return x, isFinite(x)
	}
	i := len(s)
	for i > 0 && (s[i-1] >= 'a' && s[i-1] <= 'z' || s[i-1] >= 'A' && s[i-1] <= 'Z') {
		i--
	}
	num, suf := strings.TrimSpace(s[:i]), strings.ToLower(s[i:])
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || !isFinite(x) || suf == "" {
		return 0, false
	}
	mult := 0.0
	switch strings.TrimSuffix(strings.TrimSuffix(suf, "b"), "i") {
	case "":
		if suf == "b" {
			mult = 1
		}
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	case "t":
		mult = 1 << 40
	}
	if mult == 0 {
		return 0, false
	}
	return x * mult, true
}

func parseDuration(s string) (float64, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return d.Seconds(), true
}
