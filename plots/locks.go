package plots

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/rwbench/rwbench/results"
)

// maxLockRows is the most lock sites a lock chart shows (those with the longest waits).
const maxLockRows = 12

// locks draws each lock use's wait time per run, per strategy: the figure of
// the report's lock table (results.CellLocks, LockUse.WaitPerRun).
func (b *builder) locks(fd *fileData, p *panel) {
	type lockKey = results.LockKey
	var keys []lockKey
	uses := make([]map[lockKey]results.LockUse, len(p.cells))
	for i, c := range p.cells {
		uses[i] = map[lockKey]results.LockUse{}
		for _, u := range results.CellLocks(c.res) {
			k := u.Key()
			uses[i][k] = u
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	wait := map[lockKey][]Bar{}
	peak := map[lockKey]float64{}
	for _, k := range keys {
		for i, c := range p.cells {
			// A cell whose runs never took the lock there waited 0 in each.
			w := 0.0
			if u, ok := uses[i][k]; ok {
				w = u.WaitPerRun()
			}
			wait[k] = append(wait[k], Bar{Value: w, N: len(c.res.Runs), Stat: StatMean})
			peak[k] = math.Max(peak[k], w)
		}
	}
	label := func(k lockKey) string {
		s := k.Lock
		if k.Mode != "" {
			s += " (" + shortMode(k.Mode) + ")"
		}
		if k.Site != "" {
			s += " @ " + k.Site
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
		XLabel: "wait time per run (mean of runs, as in the lock table)",
		YLabel: "lock (mode) @ call site",
		Note:   note,
		Bars:   bars,
	}, "locks", p.slug)
}
