package plots

import (
	"math"

	"github.com/montanaflynn/stats"
	"github.com/rwbench/rwbench/results"
)

// confidence is the level of every confidence interval drawn.
const confidence = 0.95

// Stat names what a bar or point value is.
const (
	StatMean   = "mean"   // mean of the runs, Student t interval
	StatMedian = "median" // median: from the cell's Summary, or of the runs (no interval)
	StatSum    = "sum"    // sum over the runs
)

// meanCI returns the mean of sample as a Bar with its confidence interval
// mean ± t((1+level)/2, n-1)·s/√n, s being the sample standard deviation. With fewer
// than two values there is no interval (ErrorBar false, Lo = Hi = Value); with none
// N is 0 and the bar is not drawn. Non-finite values are ignored.
func meanCI(sample []float64, level float64) Bar {
	xs := finite(sample)
	b := Bar{N: len(xs), Stat: StatMean}
	if len(xs) == 0 {
		return b
	}
	mean, _ := stats.Mean(xs)
	b.Value, b.Lo, b.Hi = mean, mean, mean
	if len(xs) < 2 {
		return b
	}
	sd, err := stats.StandardDeviationSample(xs)
	if err != nil || math.IsNaN(sd) || math.IsInf(sd, 0) {
		return b
	}
	half := tQuantile((1+level)/2, float64(len(xs)-1)) * sd / math.Sqrt(float64(len(xs)))
	b.Lo, b.Hi, b.ErrorBar = mean-half, mean+half, true
	return b
}

// boundedCI reports whether e holds a usable confidence interval at level: from at
// least two runs, finite, around the median, and at that level or above (benchmath
// stores the level it reached, e.g. 0.96875 for 6 runs). An interval benchmath
// found unbounded is stored as the sample's range, marked Unbounded.
func boundedCI(e results.Estimate, level float64) bool {
	return e.N >= 2 && isFinite(e.Median) && isFinite(e.Lo) && isFinite(e.Hi) &&
		e.Lo <= e.Median && e.Median <= e.Hi && !e.Unbounded && e.Confidence >= level-1e-9
}

// summaryBar turns a Summary estimate with a bounded interval (boundedCI) into a Bar.
func summaryBar(e results.Estimate) Bar {
	return Bar{Value: e.Median, Lo: e.Lo, Hi: e.Hi, ErrorBar: true, N: e.N, Stat: StatMedian}
}

// median returns the median of the finite values of xs, and false when there are none.
func median(xs []float64) (float64, bool) {
	xs = finite(xs)
	if len(xs) == 0 {
		return 0, false
	}
	m, err := stats.Median(xs)
	return m, err == nil
}

func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// tQuantile returns the p-quantile (0 < p < 1) of Student's t distribution with df
// degrees of freedom, by bisection on its CDF.
func tQuantile(p, df float64) float64 {
	switch {
	case p == 0.5:
		return 0
	case p < 0.5:
		return -tQuantile(1-p, df)
	case p >= 1:
		return math.Inf(1)
	}
	lo, hi := 0.0, 1.0
	for tCDF(hi, df) < p {
		lo, hi = hi, hi*2
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := (lo + hi) / 2
		if tCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-13*hi {
			break
		}
	}
	return (lo + hi) / 2
}

// tCDF is the CDF of Student's t distribution with df degrees of freedom.
func tCDF(t, df float64) float64 {
	tail := 0.5 * betaInc(df/2, 0.5, df/(df+t*t))
	if t < 0 {
		return tail
	}
	return 1 - tail
}

// betaInc is the regularized incomplete beta function I_x(a, b), evaluated with
// the continued fraction of Numerical Recipes (betacf) on the side where it
// converges fast.
func betaInc(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const (
		maxIter = 500
		eps     = 1e-16
		tiny    = 1e-300
	)
	clamp := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	qab, qap, qam := a+b, a+1, a-1
	c := 1.0
	d := 1 / clamp(1-qab*x/qap)
	h := d
	for m := 1; m <= maxIter; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 / clamp(1+aa*d)
		c = clamp(1 + aa/c)
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 / clamp(1+aa*d)
		c = clamp(1 + aa/c)
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}
