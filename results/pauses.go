package results

import "slices"

// PausesOf summarizes sleeps of ns nanoseconds each: their count, total, p99
// (nearest rank) and maximum; nil when there are none, so that a run without
// sleeps has no DirtyPauses. ns is sorted in place.
func PausesOf(ns []int64) *Pauses {
	if len(ns) == 0 {
		return nil
	}
	slices.Sort(ns)
	p := &Pauses{Count: int64(len(ns)), MaxNs: ns[len(ns)-1]}
	for _, v := range ns {
		p.TotalNs += v
	}
	rank := (99*len(ns) + 99) / 100 // ceil(0.99 n), 1-based
	p.P99Ns = ns[rank-1]
	return p
}
