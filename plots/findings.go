package plots

import (
	"maps"
	"slices"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

const (
	groupUnattributed = "unattributed"
	groupCorrupt      = "corrupt"
)

func (b *builder) findings(fd *fileData, p *panel) {
	runs := 0
	seen := map[string]bool{}
	for _, c := range p.cells {
		runs += len(c.res.Runs)
		for _, r := range c.res.Runs {
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
			for _, r := range c.res.Runs {
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
		for _, r := range c.res.Runs {
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
			for _, r := range c.res.Runs {
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
				Value: float64(stale + foreign), Lower: float64(stale), N: len(c.res.Runs), Stat: StatSum,
			})
		}
		for _, r := range c.res.Runs {
			checked += r.Verify.Checked
		}
		bars.Series = append(bars.Series, s)
	}
	title := fd.config + " — stale-data findings" + bracket(p.label)
	note := ""
	if total == 0 {
		title += ": no findings"
		if checked > 0 {
			note = "no findings in " + units.SIShort(float64(checked)) + " pages checked"
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

// returnsData reports whether op hands page contents back (the paths through which
// stale data can be seen); ops not in the schema are assumed to.
func returnsData(op string) bool {
	switch op {
	case "write", "mkwrite", "punch", "truncate", "zero", "advise":
		return false
	}
	return true
}
