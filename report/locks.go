package report

import (
	"sort"

	"github.com/rwbench/rwbench/results"
)

// kernelLockNote is what the lock table's heading says of the real kernel's
// rows, when files have some: "" otherwise.
func kernelLockNote(files []*results.File) string {
	for _, f := range files {
		for _, c := range f.Results {
			for _, r := range c.Runs {
				for _, l := range r.Locks {
					if l.Acquisitions == 0 && l.Contended > 0 {
						return "; the real kernel's rows (traced) know only the acquisitions that waited: " +
							"their contended column is contentions per op, their p50 and p99 are over those waits"
					}
				}
			}
		}
	}
	return ""
}

// lockTable builds the lock table: per cell, the lock classes and sites its runs
// recorded, most waited-on first. nil when no run recorded locks.
//
// The real kernel's rows (package ktrace) count only the acquisitions that
// waited (Acquisitions is 0): they show "-" for acq/op, their contentions per
// op in the contended column ("0.0123/op"), and wait quantiles over the
// contended waits alone.
func lockTable(files []*results.File, names []string) *table {
	t := &table{
		header: []string{"config", "strategy", "params", "lock", "site", "mode", "acq/op", "contended", "wait/run",
			"wait p50", "wait p99", "hold p50", "hold p99"},
		right: []bool{false, false, false, false, false, false, true, true, true, true, true, true, true},
	}
	type key struct{ lock, site, mode string }
	type agg struct {
		key
		acq, cont, wait    int64
		waitHist, holdHist []int64
		histAcq            int64 // acquisitions of the runs that kept histograms
		hist               bool  // some run kept histograms
	}
	for fi, f := range files {
		for ci := range f.Results {
			c := &f.Results[ci]
			var ops int64
			m := map[key]*agg{}
			for i := range c.Runs {
				r := &c.Runs[i]
				for _, s := range r.Ops {
					ops += s.Count
				}
				for _, l := range r.Locks {
					k := key{l.Lock, l.Site, l.Mode}
					a := m[k]
					if a == nil {
						a = &agg{key: k}
						m[k] = a
					}
					a.acq += l.Acquisitions
					a.cont += l.Contended
					a.wait += l.WaitNs
					if len(l.HoldHist) > 0 || len(l.WaitHist) > 0 {
						a.waitHist = results.AddHist(a.waitHist, l.WaitHist, 1)
						a.holdHist = results.AddHist(a.holdHist, l.HoldHist, 1)
						a.histAcq += l.Acquisitions
						a.hist = true
					}
				}
			}
			list := make([]*agg, 0, len(m))
			for _, a := range m {
				list = append(list, a)
			}
			sort.Slice(list, func(i, j int) bool {
				a, b := list[i], list[j]
				if a.wait != b.wait {
					return a.wait > b.wait
				}
				if a.lock != b.lock {
					return a.lock < b.lock
				}
				if a.site != b.site {
					return a.site < b.site
				}
				return a.mode < b.mode
			})
			for _, a := range list {
				perOp, cont := "-", "-"
				switch {
				case a.acq > 0:
					if ops > 0 {
						perOp = fmtRatio(float64(a.acq) / float64(ops))
					}
					cont = fmtPercent(a.cont, a.acq)
				case a.cont > 0 && ops > 0: // the kernel's: only contentions are known
					cont = fmtRatio(float64(a.cont)/float64(ops)) + "/op"
				}
				wp50, wp99, hp50, hp99 := "-", "-", "-", "-"
				if a.hist {
					wp50 = fmtBound(results.HistQuantile(a.waitHist, a.histAcq, 0.5))
					wp99 = fmtBound(results.HistQuantile(a.waitHist, a.histAcq, 0.99))
				}
				if len(a.holdHist) > 0 {
					hp50 = fmtBound(results.HistQuantile(a.holdHist, 0, 0.5))
					hp99 = fmtBound(results.HistQuantile(a.holdHist, 0, 0.99))
				}
				t.add(names[fi], c.Strategy, paramsOrDash(c.Params), a.lock, a.site, a.mode, perOp, cont,
					FormatNs(float64(a.wait)/float64(len(c.Runs))), wp50, wp99, hp50, hp99)
			}
		}
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}
