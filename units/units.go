// Package units formats figures for people: rates and counts with an SI
// prefix, durations in ns, µs, ms or s, with three significant digits. The
// report's tables, compare's tables and the charts' labels all use it, so that
// one value reads the same everywhere.
//
// It imports nothing of rwbench: anything may use it.
package units

import (
	"math"
	"strconv"
	"strings"
)

// SI formats a rate or count with three significant digits and an SI prefix:
// "850", "12.5", "150k", "1.00M"; "?" for NaN and ±Inf.
func SI(x float64) string { return si(x, false) }

// SIShort is SI without trailing zeros ("1M", "2.5k"), for axis labels.
func SIShort(x float64) string { return si(x, true) }

// Ns formats a duration in nanoseconds with three significant digits in the
// largest unit that keeps it at least 1: "850ns", "12.3µs", "1.25ms", "2.00s";
// "?" for NaN and ±Inf.
func Ns(ns float64) string { return nanos(ns, false) }

// NsShort is Ns without trailing zeros ("1µs", "2.5ms"), for axis labels.
func NsShort(ns float64) string { return nanos(ns, true) }

func si(x float64, short bool) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "?"
	}
	if x == 0 {
		return "0"
	}
	prefixes := []string{"", "k", "M", "G", "T"}
	i := 0
	for i < len(prefixes)-1 && RoundSig(math.Abs(x)) >= 1000 {
		x /= 1000
		i++
	}
	return sig3(x, short) + prefixes[i]
}

func nanos(ns float64, short bool) string {
	if math.IsNaN(ns) || math.IsInf(ns, 0) {
		return "?"
	}
	units := []string{"ns", "µs", "ms", "s"}
	v := ns
	i := 0
	for i < len(units)-1 && RoundSig(math.Abs(v)) >= 1000 {
		v /= 1000
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + units[i]
	}
	return sig3(v, short) + units[i]
}

// RoundSig rounds x to three significant digits, for choosing a unit or prefix
// (999.9 is shown as 1.00k, not 1000).
func RoundSig(x float64) float64 {
	if x == 0 {
		return 0
	}
	e := math.Floor(math.Log10(x))
	p := math.Pow(10, e-2)
	return math.Round(x/p) * p
}

// sig3 formats x with three significant digits, without an exponent (x <
// 1000); short drops the trailing zeros of the decimals.
func sig3(x float64, short bool) string {
	a := math.Abs(RoundSig(math.Abs(x)))
	var s string
	switch {
	case a >= 100:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	}
	if short && strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}
