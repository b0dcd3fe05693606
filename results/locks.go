package results

import (
	"cmp"
	"slices"
)

// LockKey identifies a lock use: the lock class, the call site that took it
// and the mode. Lock figures are added up, subtracted and compared by it.
type LockKey struct{ Lock, Site, Mode string }

// Key is the lock use s counts.
func (s *LockStat) Key() LockKey { return LockKey{s.Lock, s.Site, s.Mode} }

// Add adds sign × o (the same lock use) to s: counts, times and histograms.
// s's histograms are changed in place: clone them first if they are shared.
func (s *LockStat) Add(o *LockStat, sign int64) {
	s.Acquisitions += sign * o.Acquisitions
	s.Contended += sign * o.Contended
	s.WaitNs += sign * o.WaitNs
	s.HoldNs += sign * o.HoldNs
	s.WaitHist = AddHist(s.WaitHist, o.WaitHist, sign)
	s.HoldHist = AddHist(s.HoldHist, o.HoldHist, sign)
}

// DiffLocks is the lock use between two snapshots a and b of the same
// counters: b - a per lock use, keeping those acquired in between, in key
// order. Neither snapshot is changed.
func DiffLocks(a, b []LockStat) []LockStat {
	before := make(map[LockKey]*LockStat, len(a))
	for i := range a {
		before[a[i].Key()] = &a[i]
	}
	var out []LockStat
	for _, s := range b {
		s.WaitHist, s.HoldHist = slices.Clone(s.WaitHist), slices.Clone(s.HoldHist)
		if p := before[s.Key()]; p != nil {
			s.Add(p, -1)
		}
		if s.Acquisitions > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y LockStat) int { return compareKeys(x.Key(), y.Key()) })
	return out
}

func compareKeys(a, b LockKey) int {
	return cmp.Or(cmp.Compare(a.Lock, b.Lock), cmp.Compare(a.Site, b.Site), cmp.Compare(a.Mode, b.Mode))
}

// LockUse is one lock use summed over the runs of a cell: what the lock
// table of the report and the lock chart show.
type LockUse struct {
	// LockStat holds the sums over the runs, histograms only of the runs
	// that kept them.
	LockStat
	// Runs is the number of runs of the cell, those without the lock use too.
	Runs int
	// Hist says some run kept histograms; HistAcquisitions are the
	// acquisitions of those runs (the other runs' waits are not in WaitHist).
	Hist             bool
	HistAcquisitions int64
}

// WaitPerRun is the time spent waiting for the lock use per run of the cell
// (the mean over the runs, as the lock table shows it).
func (u *LockUse) WaitPerRun() float64 {
	if u.Runs == 0 {
		return 0
	}
	return float64(u.WaitNs) / float64(u.Runs)
}

// CellLocks sums the lock figures of c's runs by lock use, the most waited-on
// first (then by lock, site and mode). nil when no run recorded locks.
func CellLocks(c *Cell) []LockUse {
	byKey := map[LockKey]*LockUse{}
	var order []LockKey
	for i := range c.Runs {
		for _, l := range c.Runs[i].Locks {
			k := l.Key()
			u := byKey[k]
			if u == nil {
				u = &LockUse{LockStat: LockStat{Lock: l.Lock, Site: l.Site, Mode: l.Mode}, Runs: len(c.Runs)}
				byKey[k] = u
				order = append(order, k)
			}
			u.Add(&l, 1) // u's histograms are its own: AddHist allocates them
			if len(l.WaitHist) > 0 || len(l.HoldHist) > 0 {
				u.Hist = true
				u.HistAcquisitions += l.Acquisitions
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	out := make([]LockUse, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	slices.SortStableFunc(out, func(a, b LockUse) int {
		return cmp.Or(cmp.Compare(b.WaitNs, a.WaitNs), compareKeys(a.Key(), b.Key()))
	})
	return out
}
