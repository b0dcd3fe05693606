package plots

import (
	"math"

	"github.com/rwbench/rwbench/units"
	"gonum.org/v1/plot"
)

// linearTicks places 4 to 8 labelled ticks at 1, 2, 2.5 or 5 × 10^k, labelled with
// SI suffixes (k, M, G), and unlabelled ticks between them.
type linearTicks struct {
	integer bool   // whole numbers only: ticks at least 1 apart
	unit    string // the values' unit, for formatUnit
}

func (lt linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatUnit(lo, lt.unit)}}
	}
	step := niceStep((hi - lo) / 5)
	if lt.integer {
		step = math.Max(1, math.Round(step))
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatUnit(v, lt.unit)})
		if m := v + step/2; m < hi && (!lt.integer || m == math.Trunc(m)) {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

// niceStep rounds x up to 1, 2, 2.5 or 5 × 10^k.
func niceStep(x float64) float64 {
	if x <= 0 || !isFinite(x) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if x <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// niceCeil rounds x up to the next multiple of the tick step linearTicks would use.
func niceCeil(x float64) float64 {
	if x <= 0 || !isFinite(x) {
		return 1
	}
	step := niceStep(x / 5)
	return math.Ceil(x/step-1e-9) * step
}

// logTicks labels the decades of a log axis (and 2 and 5 × 10^k when it spans at
// most two decades), with unlabelled ticks at the other integers × 10^k, in
// the axis's unit (formatUnit).
type logTicks struct{ unit string }

func (lt logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	few := math.Log10(hi/lo) <= 2.01
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi*(1+1e-9); e++ {
		dec := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * dec
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = formatUnit(v, lt.unit)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// formatUnit labels an axis value in its unit: a duration for "ns" (850ns,
// 12µs, 1ms, 2s), else a number with k, M, G.
func formatUnit(v float64, unit string) string {
	if unit == "ns" {
		if v == 0 {
			return "0"
		}
		return units.NsShort(v)
	}
	return units.SIShort(v)
}

// fixedTicks shows the given ticks, dropping the label of a tick too close to the
// previous labelled one (it stays as a minor tick).
type fixedTicks struct {
	ticks []Tick
	log   bool
}

func (f fixedTicks) Ticks(lo, hi float64) []plot.Tick {
	norm := func(v float64) float64 {
		if f.log {
			return math.Log(v/lo) / math.Log(hi/lo)
		}
		return (v - lo) / (hi - lo)
	}
	var out []plot.Tick
	last := math.Inf(-1)
	for _, t := range f.ticks {
		if t.Value < lo || t.Value > hi || (f.log && t.Value <= 0) {
			continue
		}
		pt := plot.Tick{Value: t.Value}
		if n := norm(t.Value); n-last >= 0.06 {
			pt.Label = t.Label
			last = n
		}
		out = append(out, pt)
	}
	return out
}
