package units

import (
	"math"
	"testing"
)

func TestSI(t *testing.T) {
	for _, tc := range []struct {
		x           float64
		long, short string
	}{
		{0, "0", "0"}, {0.5, "0.50", "0.5"}, {850, "850", "850"}, {999.9, "1.00k", "1k"}, {150234, "150k", "150k"},
		{1234567, "1.23M", "1.23M"}, {950, "950", "950"}, {12.5, "12.5", "12.5"}, {0.25, "0.25", "0.25"},
		{1234, "1.23k", "1.23k"}, {120000, "120k", "120k"}, {999999, "1.00M", "1M"},
		{2.5e9, "2.50G", "2.5G"}, {-1500, "-1.50k", "-1.5k"}, {math.NaN(), "?", "?"}, {math.Inf(1), "?", "?"},
	} {
		if got := SI(tc.x); got != tc.long {
			t.Errorf("SI(%g) = %q, want %q", tc.x, got, tc.long)
		}
		if got := SIShort(tc.x); got != tc.short {
			t.Errorf("SIShort(%g) = %q, want %q", tc.x, got, tc.short)
		}
	}
}

func TestNs(t *testing.T) {
	for _, tc := range []struct {
		ns          float64
		long, short string
	}{
		{0, "0ns", "0ns"}, {850, "850ns", "850ns"}, {999.4, "999ns", "999ns"}, {999.6, "1.00µs", "1µs"},
		{1234, "1.23µs", "1.23µs"}, {123456, "123µs", "123µs"}, {1_500_000, "1.50ms", "1.5ms"}, {2e9, "2.00s", "2s"}, {1000, "1.00µs", "1µs"}, {2500, "2.50µs", "2.5µs"},
		{12345, "12.3µs", "12.3µs"}, {999999, "1.00ms", "1ms"}, {1e9, "1.00s", "1s"}, {3.6e12, "3600s", "3600s"},
		{math.NaN(), "?", "?"},
	} {
		if got := Ns(tc.ns); got != tc.long {
			t.Errorf("Ns(%g) = %q, want %q", tc.ns, got, tc.long)
		}
		if got := NsShort(tc.ns); got != tc.short {
			t.Errorf("NsShort(%g) = %q, want %q", tc.ns, got, tc.short)
		}
	}
}
