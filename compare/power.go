package compare

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// What the U test could have seen. A "~" only means "no change" when the test
// could have seen a change of the threshold's size; with few runs or much noise
// it could not, and the row is inconclusive instead. Both estimates below keep
// the noise the runs showed and move only the centre, so they answer "at this
// noise": detectable for the runs at hand, runsNeeded for more runs.

// maxRuns is the most runs per side runsNeeded considers.
const maxRuns = 100

// uTestP is benchmath's U test p-value for samples a and b.
func uTestP(a, b []float64, alpha float64) float64 {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(a), th), benchmath.NewSample(slices.Clone(b), th)).P
}

// median of v (not modified); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// worse scales x by a change of d (0.1 = 10%) in the worse direction of a
// metric: down when higher is better, up otherwise.
func worse(x, d float64, higher bool) float64 {
	if higher {
		return x * (1 - d)
	}
	return x * (1 + d)
}

// detectable is the smallest relative change d, in the metric's worse
// direction, that the U test would find significant at alpha if the new runs
// were the old runs' median moved by d, with the new runs' own spread around
// it: b rescaled to the median worse(median(a), d). +Inf when no change can be
// significant (too few runs) or the medians are 0.
func detectable(a, b []float64, higher bool, alpha float64) float64 {
	return detectableBy(a, b, higher, alpha, uTestP)
}

// detectableBy is detectable with the U test's p-value from pf.
func detectableBy(a, b []float64, higher bool, alpha float64, pf func(a, b []float64, alpha float64) float64) float64 {
	ma, mb := median(a), median(b)
	if ma <= 0 || mb <= 0 || !reachable(minP(len(a), len(b), alpha), alpha) {
		return math.Inf(1)
	}
	shifted := make([]float64, len(b))
	sig := func(d float64) bool {
		f := worse(ma, d, higher) / mb
		for i, v := range b {
			shifted[i] = v * f
		}
		return reachable(pf(a, shifted, alpha), alpha)
	}
	// Grow d geometrically to the first significant change, then bisect.
	hi := 0.0005
	limit := 0.999 // ops/s cannot fall by 100% or more
	if !higher {
		limit = 100
	}
	for !sig(hi) {
		if hi >= limit {
			return math.Inf(1)
		}
		hi = min(hi*1.5, limit)
	}
	lo := hi / 1.5
	if hi == 0.0005 {
		return hi
	}
	for range 12 { // to 0.01% of d
		mid := (lo + hi) / 2
		if sig(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// runsNeeded is the fewest runs per side at which a change of threshold would
// be detectable, at the noise of a and b. It models n runs a side as the
// pooled runs (each relative to its side's median) taken at n evenly spaced
// quantiles, and scales the model's detectable change by how the runs at hand
// compare with it (det, detectable of a and b, over the model's at their
// count), so that it agrees with det at the runs there are: an inconclusive
// row always asks for more. 0 when maxRuns do not suffice or it cannot be told
// (no threshold, medians of 0).
func runsNeeded(a, b []float64, higher bool, threshold, alpha, det float64) int {
	ma, mb := median(a), median(b)
	if threshold <= 0 || ma <= 0 || mb <= 0 {
		return 0
	}
	var rel []float64
	for _, v := range a {
		rel = append(rel, v/ma)
	}
	for _, v := range b {
		rel = append(rel, v/mb)
	}
	slices.Sort(rel)
	model := func(n int) float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = quantile(rel, (float64(i)+0.5)/float64(n))
		}
		pf := uTestP
		if n > exactRuns {
			pf = uTestNormal
		}
		return detectableBy(x, x, higher, alpha, pf)
	}
	k := 1.0
	if m := model(min(len(a), len(b))); !math.IsInf(m, 0) && !math.IsInf(det, 0) && m > 0 {
		k = max(det/m, 1e-3)
	}
	ok := func(n int) bool { return k*model(n) <= threshold }
	if !ok(maxRuns) {
		return 0
	}
	lo, hi := 1, maxRuns // ok(hi) holds; find the least such n
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// exactRuns is the most runs per side for which runsNeeded's model asks
// benchmath for the exact U distribution, which grows costly; above it the
// normal approximation is as good.
const exactRuns = 12

// uTestNormal is the two-sided U test's p-value from the normal approximation
// with a continuity correction, ties counted half.
func uTestNormal(a, b []float64, _ float64) float64 {
	var u float64
	for _, x := range a {
		for _, y := range b {
			switch {
			case x > y:
				u++
			case x == y:
				u += 0.5
			}
		}
	}
	n1, n2 := float64(len(a)), float64(len(b))
	mu := n1 * n2 / 2
	sigma := math.Sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
	z := (math.Abs(u-mu) - 0.5) / sigma
	if z < 0 {
		return 1
	}
	return math.Erfc(z / math.Sqrt2)
}

// quantile is the q-quantile of sorted s, interpolated linearly.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}
