package workload

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestRecorderSnapshot(t *testing.T) {
	start := int64(1000 * time.Second)
	r := NewRecorder(start, time.Second)
	for i := 1; i <= 10000; i++ {
		r.Tick(start + int64(i)*int64(time.Millisecond)) // 10 s of ops
		r.Record(int64(i)*int64(time.Microsecond), 4096)
	}
	r.Error()
	s := r.Snapshot()
	if s.Count != 10000 || s.Bytes != 10000*4096 || s.Errors != 1 {
		t.Errorf("counts %+v", s)
	}
	if s.Min != 1000 || s.Max != 10_000_000 || s.Mean != 5_000_500 {
		t.Errorf("min/mean/max %v/%v/%v", s.Min, s.Mean, s.Max)
	}
	for _, c := range []struct{ got, want float64 }{{s.P50, 5e6}, {s.P90, 9e6}, {s.P99, 9.9e6}, {s.P999, 9.99e6}, {s.P9999, 10e6}} {
		if math.Abs(c.got-c.want)/c.want > 0.002 {
			t.Errorf("percentile %v, want %v within 0.2%%", c.got, c.want)
		}
	}
	// Population stddev of a uniform 1..N µs is N/√12 µs.
	if want := 1e7 / math.Sqrt(12); math.Abs(s.Stddev-want)/want > 0.01 {
		t.Errorf("stddev %v, want about %v", s.Stddev, want)
	}
	iv := r.Intervals()
	// Ops at 1..999 ms fall in interval 0, 1000..1999 ms in interval 1, ... 10000 ms in 10.
	want := []int64{999, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1}
	if !slices.Equal(iv, want) {
		t.Errorf("intervals %v, want %v", iv, want)
	}
}

func TestRecorderClamp(t *testing.T) {
	r := NewRecorder(0, 0)
	r.Record(-5, 0)
	r.Record(int64(time.Hour), 0)
	s := r.Snapshot()
	if s.Min != 0 || s.Max != float64(100*time.Second) || s.Saturated != 1 || s.Count != 2 {
		t.Errorf("%+v", s)
	}
	if z := NewRecorder(0, 0).Snapshot(); z != (Stats{}) {
		t.Errorf("empty snapshot %+v", z)
	}
}

func TestRecorderMerge(t *testing.T) {
	start := int64(0)
	a := NewRecorder(start, 100*time.Millisecond)
	b := NewRecorder(start, 100*time.Millisecond)
	all := NewRecorder(start, 100*time.Millisecond)
	for i := range 3000 {
		now := start + int64(i)*int64(time.Millisecond)
		lat := int64(1+i%977) * int64(time.Microsecond)
		r := a
		if i%3 == 0 || i > 2000 { // b covers a longer series than a
			r = b
		}
		r.Tick(now)
		r.Record(lat, int64(i))
		all.Tick(now)
		all.Record(lat, int64(i))
	}
	b.Error()
	m, err := Merge(a, nil, b)
	if err != nil {
		t.Fatal(err)
	}
	got, want := m.Snapshot(), all.Snapshot()
	want.Errors = 1
	if got != want {
		t.Errorf("merged %+v\nwant   %+v", got, want)
	}
	if !slices.Equal(m.Intervals(), all.Intervals()) {
		t.Errorf("merged intervals %v, want %v", m.Intervals(), all.Intervals())
	}
	// The inputs are unchanged.
	if a.Snapshot().Count+b.Snapshot().Count != 3000 {
		t.Error("Merge changed its inputs")
	}
	if _, err := Merge(a, NewRecorder(start, time.Second)); err == nil {
		t.Error("merged recorders with different intervals")
	}
	if _, err := Merge(a, NewRecorder(start+1, 100*time.Millisecond)); err == nil {
		t.Error("merged recorders with different starts")
	}
	if e, err := Merge(); err != nil || e.Snapshot().Count != 0 {
		t.Errorf("Merge() = %v, %v", e, err)
	}
}

func TestRecordNoAlloc(t *testing.T) {
	r := NewRecorder(0, time.Second)
	now := int64(0)
	if a := testing.AllocsPerRun(10000, func() {
		r.Tick(now)
		r.Record(1234, 4096)
	}); a != 0 {
		t.Errorf("%v allocs per Tick+Record", a)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(0, time.Second)
	for i := 0; b.Loop(); i++ {
		r.Record(int64(i&0xFFFFF), 4096)
	}
}

// BenchmarkTickRecord is the worker's per-op recording: Tick with the op's end
// (700 ns apart, as a cached read) and Record.
func BenchmarkTickRecord(b *testing.B) {
	r := NewRecorder(0, time.Second)
	now := int64(0)
	for i := 0; b.Loop(); i++ {
		now += 700
		r.Tick(now)
		r.Record(int64(600+i&0xFF), 4096)
	}
}

// TestRecorderTick: the series follows the interval boundaries exactly, from
// any start, and times before the start or going backwards stay where they are.
func TestRecorderTick(t *testing.T) {
	for _, start := range []int64{0, 7, -int64(time.Second), 5_000_000_000} {
		r := NewRecorder(start, 100)
		for _, tc := range []struct {
			now int64
			cur int
		}{
			{start - 1000, 0}, {start, 0}, {start + 99, 0}, {start + 100, 1}, {start + 50, 1},
			{start + 199, 1}, {start + 200, 2}, {start + 1050, 10}, {start + 1099, 10}, {start + 1100, 11},
		} {
			r.Tick(tc.now)
			r.Record(1, 0)
			if len(r.series) != tc.cur+1 || r.series[tc.cur] == 0 || r.cur != tc.cur {
				t.Fatalf("start %d: Tick(start%+d): series %v, cur %d, want %d", start, tc.now-start, r.series, r.cur, tc.cur)
			}
		}
		if want := []int64{3, 3, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1}; !slices.Equal(r.Intervals(), want) {
			t.Errorf("start %d: intervals %v, want %v", start, r.Intervals(), want)
		}
	}
	// No interval: one slot, whatever the time.
	r := NewRecorder(0, 0)
	r.Tick(math.MaxInt64)
	r.Record(1, 0)
	if !slices.Equal(r.Intervals(), []int64{1}) {
		t.Errorf("no interval: %v", r.Intervals())
	}
	// Near the end of int64 the boundary saturates instead of wrapping.
	r = NewRecorder(math.MaxInt64-150, 100)
	r.Tick(math.MaxInt64 - 10)
	r.Tick(math.MaxInt64)
	r.Record(1, 0)
	if !slices.Equal(r.Intervals(), []int64{0, 1}) {
		t.Errorf("near MaxInt64: %v", r.Intervals())
	}
}
