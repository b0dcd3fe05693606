package plots

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rwbench/rwbench/config"
)

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

// sweepPositions places sweep values on the X axis: at their numeric value when
// every value is a number or byte size (4k, 1MiB, as a config writes it), or every value a duration (in
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

// parseSize parses a plain number (a thread count, a ratio) or a byte size
// as a config accepts it (config.ParseSize: 4096, 4k, 64KiB).
func parseSize(s string) (float64, bool) {
	if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return x, isFinite(x)
	}
	n, err := config.ParseSize(s)
	return float64(n), err == nil
}

func parseDuration(s string) (float64, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return d.Seconds(), true
}
