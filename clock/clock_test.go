package clock

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// trackWithin checks that c's Now advances with time.Since(c.Base()) over d:
// the elapsed times agree to 1% plus 200 µs (the machine is shared: a
// preemption between the two reads is not the clock's error), and Now is near
// time.Since(Base) at any point.
func trackWithin(t *testing.T, c *Clock, d time.Duration) {
	t.Helper()
	n0, m0 := c.Now(), int64(time.Since(c.Base()))
	time.Sleep(d)
	n1, m1 := c.Now(), int64(time.Since(c.Base()))
	dn, dm := n1-n0, m1-m0
	if tol := dm/100 + 200_000; abs(dn-dm) > tol {
		t.Errorf("%s clock: %v elapsed, time.Since says %v (tolerance %v)", c.Source(), time.Duration(dn), time.Duration(dm), time.Duration(tol))
	}
	if off := abs(n1 - m1); off > int64(5*time.Millisecond) {
		t.Errorf("%s clock: Now is %v, time.Since(Base) %v", c.Source(), time.Duration(n1), time.Duration(m1))
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestCalibration(t *testing.T) {
	c := New()
	t.Logf("source %s, %.6f GHz, error bound %.2g", c.Source(), c.Hz()/1e9, c.ErrorBound())
	switch c.Source() {
	case SourceTSC:
		if !(c.Hz() > 1e8 && c.Hz() < 1e11) {
			t.Errorf("Hz = %v", c.Hz())
		}
		if !(c.ErrorBound() > 0 && c.ErrorBound() <= maxError) {
			t.Errorf("ErrorBound = %v", c.ErrorBound())
		}
	case SourceMonotonic:
		if tscCapable() && kernelUsesTSC(clocksourcePath) {
			t.Logf("the TSC is usable but the calibration fell back (a very noisy machine?)")
		}
		if c.Hz() != 0 || c.ErrorBound() != 0 {
			t.Errorf("monotonic clock: Hz %v, ErrorBound %v", c.Hz(), c.ErrorBound())
		}
	default:
		t.Fatalf("Source = %q", c.Source())
	}
	trackWithin(t, c, 100*time.Millisecond)
}

func TestRestart(t *testing.T) {
	c := New()
	time.Sleep(5 * time.Millisecond)
	r := c.Restart()
	if r.Source() != c.Source() || r.Hz() != c.Hz() || r.ErrorBound() != c.ErrorBound() {
		t.Errorf("Restart changed the calibration: %s %v %v, was %s %v %v", r.Source(), r.Hz(), r.ErrorBound(), c.Source(), c.Hz(), c.ErrorBound())
	}
	if !r.Base().After(c.Base()) {
		t.Errorf("restarted base %v not after %v", r.Base(), c.Base())
	}
	if n := r.Now(); n > int64(time.Second) {
		t.Errorf("Now just after Restart = %v", time.Duration(n))
	}
	if d := c.Now() - r.Now(); d < int64(4*time.Millisecond) {
		t.Errorf("the first clock is only %v ahead of the restarted one", time.Duration(d))
	}
	trackWithin(t, r, 20*time.Millisecond)
}

// TestMonotonic reads the clock on several goroutines, each checking that its
// own reads never go backwards and that none is before the latest read any
// goroutine had published when it began: exactly for the monotonic source, to
// within slack for the TSC's unordered reads (see Ordering in the package doc;
// up to about 1 µs seen here).
func TestMonotonic(t *testing.T) {
	for _, tc := range []struct {
		c     *Clock
		slack int64
	}{
		{New(), int64(20 * time.Microsecond)},
		{newClock(options{monotonic: true}), 0},
	} {
		c := tc.c
		t.Run(c.Source(), func(t *testing.T) {
			var latest atomic.Int64
			var wg sync.WaitGroup
			var bad atomic.Int64
			var worst atomic.Int64 // the largest lag behind a published read
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					last := int64(0)
					for range 200_000 {
						seen := latest.Load()
						n := c.Now()
						if n < last || n < seen-tc.slack || n < 0 {
							if bad.Add(1) == 1 {
								t.Errorf("Now = %d after %d on this goroutine and %d published", n, last, seen)
							}
						}
						for lag := seen - n; lag > 0; {
							w := worst.Load()
							if lag <= w || worst.CompareAndSwap(w, lag) {
								break
							}
						}
						last = n
						for {
							l := latest.Load()
							if n <= l || latest.CompareAndSwap(l, n) {
								break
							}
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("worst lag behind another goroutine's read: %v", time.Duration(worst.Load()))
		})
	}
}

func TestFallback(t *testing.T) {
	if c := Monotonic(); c.Source() != SourceMonotonic {
		t.Errorf("Monotonic() source %s", c.Source())
	}
	c := newClock(options{monotonic: true})
	if c.Source() != SourceMonotonic || c.Hz() != 0 || c.ErrorBound() != 0 {
		t.Fatalf("forced fallback: %s, %v Hz, bound %v", c.Source(), c.Hz(), c.ErrorBound())
	}
	trackWithin(t, c, 20*time.Millisecond)
	r := c.Restart()
	if r.Source() != SourceMonotonic || r.Now() > int64(time.Second) {
		t.Errorf("restarted fallback: %s, Now %d", r.Source(), r.Now())
	}

	// The kernel's clocksource decides too.
	dir := t.TempDir()
	for src, want := range map[string]string{"kvm-clock\n": SourceMonotonic, "hpet\n": SourceMonotonic, "tsc\n": SourceTSC} {
		p := filepath.Join(dir, "current_clocksource")
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if want == SourceTSC && !tscCapable() {
			want = SourceMonotonic // no invariant TSC, or not amd64
		}
		got := newClock(options{clocksourcePath: p, windows: 3, window: time.Millisecond})
		if got.Source() != want {
			t.Errorf("clocksource %q: source %s, want %s", src, got.Source(), want)
		}
	}
	if got := newClock(options{clocksourcePath: filepath.Join(dir, "missing")}); got.Source() != SourceMonotonic {
		t.Errorf("no clocksource file: source %s", got.Source())
	}
}

// TestNeverNegative: a TSC read below the base (another CPU's counter a few
// ticks behind) is 0, not a huge or negative value.
func TestNeverNegative(t *testing.T) {
	if !tscCapable() {
		t.Skip("no TSC source here")
	}
	c := &Clock{tsc: true, baseTicks: readTSC() + 1<<40, mult: 1 << multShift, shift: multShift}
	if n := c.Now(); n != 0 {
		t.Errorf("Now before the base = %d", n)
	}
}

func TestTicksToNs(t *testing.T) {
	const s32 = uint64(1) << 32
	for _, tc := range []struct {
		d, mult uint64
		shift   uint
		want    int64
	}{
		{0, 1654367831, 32, 0},
		{1, s32, 32, 1},                              // 1 GHz: 1 ns per tick
		{1_000_000_000, s32, 32, 1e9},                // 1 s
		{5, s32 / 2, 32, 2},                          // 2 GHz: 2.5 ns, truncated
		{2_500_000_000, 1717986918, 32, 999_999_999}, // 2.5 GHz: mult rounded down by 0.4
		{2_500_000_000, 1717986919, 32, 1_000_000_000},
		// 100 days at 2.6 GHz: the 64-bit product would overflow (2.2e16 · 1.65e9).
		{22_464_000_000_000_000, 1651910498, 32, 8_639_999_997_586_011},
		// 190 years at 3 GHz, near the end of the TSC's 64 bits.
		{17_975_520_000_000_000_000, 1431655765, 32, 5_991_839_998_604_916_036},
		{math.MaxUint64, 1, 1, math.MaxInt64},
		{math.MaxUint64, 1, 63, 1},
		{1 << 63, 2, 1, math.MinInt64}, // 2^64 ns: past the int64 range, the caller's 292 years
	} {
		if got := ticksToNs(tc.d, tc.mult, tc.shift); got != tc.want {
			t.Errorf("ticksToNs(%d, %d, %d) = %d, want %d", tc.d, tc.mult, tc.shift, got, tc.want)
		}
	}
	// Against math/big on random operands whose result fits.
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		shift := uint(1 + r.IntN(63))
		d, mult := r.Uint64(), r.Uint64()>>r.IntN(64)
		want := new(big.Int).Mul(new(big.Int).SetUint64(d), new(big.Int).SetUint64(mult))
		want.Rsh(want, shift)
		if !want.IsInt64() {
			continue
		}
		if got := ticksToNs(d, mult, shift); got != want.Int64() {
			t.Fatalf("ticksToNs(%d, %d, %d) = %d, want %d", d, mult, shift, got, want.Int64())
		}
	}
}

func TestMultiplier(t *testing.T) {
	for _, tc := range []struct {
		hz   float64
		want uint64
	}{
		{1e9, 1 << 32},
		{2e9, 1 << 31},
		{2.5e9, 1717986918},
		{2596138063, 1654367831},
	} {
		if got := multiplier(tc.hz, multShift); got != tc.want {
			t.Errorf("multiplier(%v) = %d, want %d", tc.hz, got, tc.want)
		}
		// One second of ticks is one second, to the multiplier's rounding.
		if ns := ticksToNs(uint64(tc.hz), multiplier(tc.hz, multShift), multShift); abs(ns-1e9) > 1 {
			t.Errorf("%v ticks at %v Hz = %d ns", uint64(tc.hz), tc.hz, ns)
		}
	}
}

var sink int64

func BenchmarkNow(b *testing.B) {
	c := New()
	for b.Loop() {
		sink += c.Now()
	}
	b.Logf("source %s", c.Source())
}

func BenchmarkNowMonotonic(b *testing.B) {
	c := newClock(options{monotonic: true})
	for b.Loop() {
		sink += c.Now()
	}
}

func BenchmarkTimeSince(b *testing.B) {
	base := time.Now()
	for b.Loop() {
		sink += int64(time.Since(base))
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		sink += time.Now().UnixNano()
	}
}

// TestSynctest: in a testing/synctest bubble the sleeps of the calibration take
// no real time, so the TSC seems to tick far too slowly: New must fall back to
// the (fake) monotonic clock rather than keep a wrong rate.
func TestSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New()
		if c.Source() != SourceMonotonic {
			t.Fatalf("in a synctest bubble: source %s, %v Hz", c.Source(), c.Hz())
		}
		time.Sleep(time.Hour)
		if n := c.Now(); n != int64(time.Hour) {
			t.Errorf("Now after an hour of fake time = %v", time.Duration(n))
		}
	})
}
