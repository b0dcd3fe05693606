package compare

import "slices"

// One results file gives tens of comparisons (every cell, op and metric), and
// each tested at alpha alone would find about alpha of the unchanged ones
// significant: two runs of configs/ci.yaml one after the other, 40 comparisons,
// had one false regression (a p99 10% worse at p=0.010). So alpha is a false
// discovery rate over the file's comparisons (Benjamini-Hochberg), as with
// many tests of which a few may be real changes: with the comparisons' p-values
// sorted, the largest k with p_(k) <= k/m·alpha makes the k smallest
// significant. It spares real changes that Bonferroni's alpha/m would lose at
// eight runs a side: the same files with one strategy's four throughputs cut by
// 20% (p 0.0002-0.003) keep all four, the false one (p 0.010) does not.

// fdrCutoff is the largest p-value of ps that the Benjamini-Hochberg procedure
// at level alpha calls significant, or -1 when it calls none.
func fdrCutoff(ps []float64, alpha float64) float64 {
	s := slices.Clone(ps)
	slices.Sort(s)
	cut := -1.0
	for k, p := range s {
		if reachable(p, alpha*float64(k+1)/float64(len(s))) {
			cut = p
		}
	}
	return cut
}

// correct withdraws significance from the rows the false discovery rate does
// not allow (see above): a row found significant at alpha alone whose p is
// above the cutoff becomes no change, or inconclusive if it could not have
// detected a change of the threshold.
func (r *Report) correct() {
	ps := make([]float64, len(r.Rows))
	for i, row := range r.Rows {
		ps[i] = row.P
	}
	r.PCutoff = fdrCutoff(ps, r.Alpha)
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Verdict == NoChange || row.Verdict == Inconclusive || row.P <= r.PCutoff {
			continue
		}
		row.Verdict = NoChange
		if row.DetectablePct == nil || undetectable(*row.DetectablePct/100, r.Threshold) {
			row.Verdict = Inconclusive
		}
	}
}
