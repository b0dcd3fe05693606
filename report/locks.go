package report

import (
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
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
	for fi, c := range cells(files) {
		var ops int64
		for i := range c.Runs {
			for _, s := range c.Runs[i].Ops {
				ops += s.Count
			}
		}
		for _, u := range results.CellLocks(c) {
			perOp, cont := "-", "-"
			switch {
			case u.Acquisitions > 0:
				if ops > 0 {
					perOp = fmtRatio(float64(u.Acquisitions) / float64(ops))
				}
				cont = fmtPercent(u.Contended, u.Acquisitions)
			case u.Contended > 0 && ops > 0: // the kernel's: only contentions are known
				cont = fmtRatio(float64(u.Contended)/float64(ops)) + "/op"
			}
			wp50, wp99, hp50, hp99 := "-", "-", "-", "-"
			if u.Hist {
				wp50 = fmtBound(results.HistQuantile(u.WaitHist, u.HistAcquisitions, 0.5))
				wp99 = fmtBound(results.HistQuantile(u.WaitHist, u.HistAcquisitions, 0.99))
			}
			if len(u.HoldHist) > 0 {
				hp50 = fmtBound(results.HistQuantile(u.HoldHist, 0, 0.5))
				hp99 = fmtBound(results.HistQuantile(u.HoldHist, 0, 0.99))
			}
			t.add(names[fi], c.Strategy, paramsOrDash(c.Params), u.Lock, u.Site, u.Mode, perOp, cont,
				units.Ns(u.WaitPerRun()), wp50, wp99, hp50, hp99)
		}
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}
