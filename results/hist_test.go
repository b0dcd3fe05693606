package results

import "testing"

func TestHistQuantile(t *testing.T) {
	// 100 acquisitions: 90 did not wait, 9 waited in [512, 1024) ns, 1 in [2^19, 2^20).
	h := []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}
	h = append(h, make([]int64, 9)...)
	h = append(h, 1)
	for _, tc := range []struct {
		n    int64
		q    float64
		want float64
	}{
		{100, 0.5, 0},
		{100, 0.9, 0},
		{100, 0.95, 1024},
		{100, 0.99, 1024},
		{100, 1, 1 << 20},
		{10, 0.5, 1024}, // n counts only what the histogram holds: no zeros
		{0, 0.99, 1 << 20},
	} {
		if got := HistQuantile(h, tc.n, tc.q); got != tc.want {
			t.Errorf("HistQuantile(n=%d, q=%v) = %v, want %v", tc.n, tc.q, got, tc.want)
		}
	}
	if got := HistQuantile(nil, 0, 0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := HistQuantile([]int64{3}, 3, 0.99); got != 0 {
		t.Errorf("zeros only: %v", got)
	}
}

func TestAddHist(t *testing.T) {
	a := AddHist(nil, []int64{1, 2, 3}, 1)
	a = AddHist(a, []int64{0, 1, 3, 0}, -1)
	if len(a) != 2 || a[0] != 1 || a[1] != 1 {
		t.Errorf("got %v, want [1 1] (trailing zeros trimmed)", a)
	}
	if b := AddHist(nil, nil, 1); len(b) != 0 {
		t.Errorf("got %v", b)
	}
}
