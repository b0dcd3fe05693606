package report

import (
	"strconv"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// pausesTable builds the dirty-throttling table: per cell whose runs measured
// the writers' balance_dirty_pages sleeps (the model's own or the real
// kernel's, traced), the medians over the runs of their count, total and p99,
// and the longest. A run of such a cell without DirtyPauses slept none. nil
// when no run measured any.
func pausesTable(files []*results.File, names []string) *table {
	t := &table{
		header: []string{"config", "strategy", "params", "runs", "pauses/run", "total/run", "p99", "max"},
		right:  []bool{false, false, false, true, true, true, true, true},
	}
	for fi, c := range cells(files) {
		var count, total, p99 []float64
		var longest int64
		measured := false
		for _, r := range c.Runs {
			p := r.DirtyPauses
			if p == nil {
				p = &results.Pauses{}
			} else {
				measured = true
			}
			count = append(count, float64(p.Count))
			total = append(total, float64(p.TotalNs))
			p99 = append(p99, float64(p.P99Ns))
			longest = max(longest, p.MaxNs)
		}
		if !measured {
			continue
		}
		med := func(v []float64) float64 { return results.EstimateOf(v, results.DefaultConfidence).Median }
		t.add(names[fi], c.Strategy, paramsOrDash(c.Params), strconv.Itoa(len(c.Runs)), units.SI(med(count)),
			units.Ns(med(total)), units.Ns(med(p99)), units.Ns(float64(longest)))
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}
