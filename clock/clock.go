// Package clock is a monotonic nanosecond clock for hot loops: the benchmark's
// workers read it twice per op, so its cost is part of every recorded op.
//
// # Why
//
// time.Since reads the monotonic clock through the vDSO (clock_gettime), about
// 26 ns on the KVM guests rwbench runs on; on a ~700 ns cached read two of them
// are most of the cost of recording. Where the kernel itself keeps time with the
// CPU's time-stamp counter, the same counter can be read directly and scaled to
// nanoseconds in user space, which is what the vDSO does too, less the call, the
// seqlock, and the ordering (below). fio's clocksource=cpu (its default on x86
// with an invariant TSC) is the precedent: it reads the TSC with a plain RDTSC
// and converts with a multiplier calibrated at startup.
//
// # When it falls back
//
// [New] uses the TSC only on amd64, when the TSC is invariant (CPUID
// 0x80000007 EDX bit 8: it ticks at a constant rate whatever the P-, C- and
// T-states; Linux's constant_tsc plus nonstop_tsc), RDTSCP exists (the
// calibration needs an ordered read), and the kernel trusts the TSC as its own
// clocksource (/sys/devices/system/clocksource/clocksource0/current_clocksource
// is "tsc"). The last condition is what makes the TSC safe: the kernel checks
// at boot and keeps watching that the TSCs of all CPUs are synchronized and
// stable, and switches to another clocksource (hpet, kvm-clock, ...) when they
// are not. It also falls back when the calibration is not sound (an error bound
// above 1e-3). Otherwise, and on every other architecture, Now is time.Since of
// the base: the monotonic clock, correct everywhere, only slower.
//
// # Calibration and its error
//
// The tick rate is measured against the monotonic clock (so the TSC clock
// agrees with time.Since, not with the nominal frequency) over 5 windows of
// 4 ms, and the median window's rate is kept, so one disturbed window (a
// preemption, a migration, a noisy neighbour) does not skew it. Each end of a
// window pairs a monotonic reading with an ordered TSC read (RDTSCP) just
// before and just after it (the tightest of several tries), so the TSC value
// matching the reading is known to within half that bracket, about 40 ns of
// ticks here. A window's relative error is at most the two half-brackets over
// its length, about 1e-5 (10 ppm) here; [Clock.ErrorBound] is that bound for
// the window kept (successive calibrations here agree to 1e-7). The monotonic
// clock is itself slewed by NTP (CLOCK_MONOTONIC follows adjtimex's frequency
// correction, usually within tens of ppm), and the TSC clock keeps the rate it
// measured: the two agree to ErrorBound plus the slew.
//
// What the bound means for a benchmark: a latency L is off by at most
// ErrorBound·L (0.01 ns on 1 µs), and Now is within ErrorBound·t (+ about
// 100 ns) of time.Since(Base()) t after the base (30 µs after 3 s at 10 ppm),
// which is what decides which op falls in which interval of the run.
//
// The ticks are scaled as ns = ticks·mult >> shift with a 128-bit product
// (math/bits.Mul64), so the conversion is exact to the multiplier's rounding
// (below 1e-9) and cannot overflow, whatever the time since the base.
//
// # Ordering
//
// Now reads the counter with a plain RDTSC, which the CPU may execute a little
// before or after the instructions around it, within its out-of-order window.
// An ordered read (RDTSCP, or LFENCE; RDTSC, as clock_gettime does) waits for
// all the work before it to have executed, and that drain costs more than the
// read: around a 4 KiB copy here, two ordered reads add 32 ns per op and two
// plain ones 8 ns, and the ordered pair also reports about 16 ns more latency
// (its own drain) for the same copy. What a plain read gives up:
//
//   - A read can be early or late by what the CPU still has in flight: an op's
//     end can be read while its last loads are outstanding. Over many ops the
//     plain reads measured the copy above at its uninstrumented cost; one op's
//     latency can be short by up to one outstanding cache miss.
//   - Reads on one goroutine do not go backwards. Reads on two goroutines
//     ordered by a happens-before edge (a channel, an atomic) are ordered only to
//     within the in-flight window: the load that saw the other goroutine's write
//     can still be outstanding when the counter is read (up to about 1 µs seen
//     here with the line bouncing between cores). rwbench compares readings of
//     one goroutine only; do not use Now to order events across goroutines.
//
// A Clock is immutable after New and safe for concurrent use.
package clock

import (
	"cmp"
	"math"
	"math/bits"
	"os"
	"slices"
	"strings"
	"time"
)

// The sources [Clock.Source] names.
const (
	SourceTSC       = "tsc"
	SourceMonotonic = "monotonic"
)

// Calibration parameters: windows windows of window each; a median rate whose
// error bound is above maxError makes the clock fall back to the monotonic one.
const (
	calWindows  = 5
	calWindow   = 4 * time.Millisecond
	maxError    = 1e-3
	sampleTries = 16
	// multShift is the binary point of the multiplier: mult is ns per tick
	// times 2^multShift. At 1–10 GHz that leaves 29–32 significant bits in
	// mult, a rounding error below 1e-9.
	multShift = 32
)

// clocksourcePath is where Linux says which clocksource it keeps time with.
const clocksourcePath = "/sys/devices/system/clocksource/clocksource0/current_clocksource"

// Clock is a monotonic nanosecond clock: Now is the time since its base.
type Clock struct {
	tsc       bool      // read the TSC; else time.Since(base)
	baseTicks uint64    // the TSC at base
	mult      uint64    // ns per tick, times 2^shift
	shift     uint      // of mult
	base      time.Time // Now() == 0; carries a monotonic reading
	hz        float64   // calibrated TSC ticks per second; 0 for the monotonic source
	errBound  float64   // relative error bound of hz
}

// options are New's knobs, for tests.
type options struct {
	monotonic       bool   // force the fallback
	clocksourcePath string // the kernel's current clocksource; "" for the real one
	windows         int
	window          time.Duration
}

// New returns a clock whose base is now, on the TSC when the machine allows it
// (see the package doc) and on the monotonic clock otherwise. Calibrating the
// TSC takes about 20 ms; [Clock.Restart] makes another clock with the same
// calibration and a new base without calibrating again.
func New() *Clock { return newClock(options{}) }

// Monotonic returns a clock on the monotonic clock whatever the machine (Now is
// time.Since of its base), for callers that need the time package's own time:
// a test in a testing/synctest bubble, whose fake time the TSC does not follow.
func Monotonic() *Clock { return newClock(options{monotonic: true}) }

func newClock(o options) *Clock {
	if o.clocksourcePath == "" {
		o.clocksourcePath = clocksourcePath
	}
	if o.windows <= 0 {
		o.windows = calWindows
	}
	if o.window <= 0 {
		o.window = calWindow
	}
	if !o.monotonic && tscCapable() && kernelUsesTSC(o.clocksourcePath) {
		if hz, bound, ok := calibrate(o.windows, o.window); ok {
			c := &Clock{tsc: true, shift: multShift, mult: multiplier(hz, multShift), hz: hz, errBound: bound}
			c.setBase()
			return c
		}
	}
	return &Clock{base: time.Now()}
}

// kernelUsesTSC reports whether the file at path (current_clocksource) says tsc.
func kernelUsesTSC(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.TrimSpace(string(b)) == "tsc"
}

// Now returns the nanoseconds since the clock's base. It is never negative,
// and successive reads on one goroutine never go backwards (see Ordering in the
// package doc for reads on different goroutines).
func (c *Clock) Now() int64 {
	if c.tsc {
		t := readTSC()
		if t <= c.baseTicks {
			return 0
		}
		return ticksToNs(t-c.baseTicks, c.mult, c.shift)
	}
	return int64(time.Since(c.base))
}

// Base is the time at which Now was 0. It carries a monotonic clock reading, so
// Base().Add(time.Duration(Now())) is the time of the read, and t.Sub(Base())
// is t on this clock's scale (to the error of the calibration).
func (c *Clock) Base() time.Time { return c.base }

// Source is "tsc" when the clock reads the time-stamp counter, "monotonic" when
// it falls back to the runtime's monotonic clock.
func (c *Clock) Source() string {
	if c.tsc {
		return SourceTSC
	}
	return SourceMonotonic
}

// Hz is the TSC's calibrated rate in ticks per second; 0 for the monotonic source.
func (c *Clock) Hz() float64 { return c.hz }

// ErrorBound is the relative error bound of the calibrated rate against the
// monotonic clock (see the package doc); 0 for the monotonic source.
func (c *Clock) ErrorBound() float64 { return c.errBound }

// Restart returns a clock with c's source and calibration whose base is now.
func (c *Clock) Restart() *Clock {
	n := *c
	n.setBase()
	return &n
}

// setBase makes now the clock's base: base is now, and baseTicks the TSC value
// at that instant, from a tight bracket of a monotonic reading taken just after.
func (c *Clock) setBase() {
	c.base = time.Now()
	if !c.tsc {
		return
	}
	s := takeSample(c.base)
	back := uint64(math.Round(float64(s.mono) * c.hz / 1e9)) // ticks since base
	c.baseTicks = s.ticks - min(back, s.ticks)
}

// ticksToNs converts d ticks to nanoseconds: d·mult >> shift, on the 128-bit
// product, so no d overflows (the result does only past 2^63 ns, 292 years).
// shift is in [1, 63].
func ticksToNs(d, mult uint64, shift uint) int64 {
	hi, lo := bits.Mul64(d, mult)
	return int64(hi<<(64-shift) | lo>>shift)
}

// multiplier is mult for a rate of hz ticks per second: 1e9/hz ns per tick in
// fixed point with shift fraction bits.
func multiplier(hz float64, shift uint) uint64 {
	return uint64(math.Round(1e9 / hz * float64(uint64(1)<<shift)))
}

// sample is a TSC value paired with a monotonic reading.
type sample struct {
	ticks uint64 // the middle of the bracket
	mono  int64  // ns since the calibration's origin
	width uint64 // the bracket: ticks between the reads before and after mono
}

// takeSample pairs a monotonic reading (time.Since(origin)) with the TSC,
// bracketing the reading with an ordered TSC read on each side and keeping the tightest
// of sampleTries tries (a try that was preempted or interrupted is wide).
func takeSample(origin time.Time) sample {
	best := sample{width: math.MaxUint64}
	for range sampleTries {
		a := readTSCOrdered()
		m := int64(time.Since(origin))
		b := readTSCOrdered()
		if b < a {
			continue // migrated to a CPU whose TSC is behind: not a usable bracket
		}
		if b-a < best.width {
			best = sample{ticks: a + (b-a)/2, mono: m, width: b - a}
		}
	}
	return best
}

// calibrate measures the TSC's rate against the monotonic clock over windows
// windows of length window and returns the median window's rate and its error
// bound; ok is false when no sound rate came out.
func calibrate(windows int, window time.Duration) (hz, bound float64, ok bool) {
	type est struct{ hz, bound float64 }
	origin := time.Now()
	prev := takeSample(origin)
	var ests []est
	for range windows {
		time.Sleep(window)
		cur := takeSample(origin)
		if prev.width != math.MaxUint64 && cur.width != math.MaxUint64 && cur.ticks > prev.ticks && cur.mono > prev.mono {
			dk := float64(cur.ticks - prev.ticks)
			dt := float64(cur.mono - prev.mono)
			// Each end is off by at most half its bracket of ticks, and by the
			// monotonic clock's 1 ns resolution.
			ests = append(ests, est{hz: dk / dt * 1e9,
				bound: (float64(prev.width)+float64(cur.width))/2/dk + 2/dt})
		}
		prev = cur
	}
	if len(ests) == 0 {
		return 0, 0, false
	}
	slices.SortFunc(ests, func(a, b est) int { return cmp.Compare(a.hz, b.hz) })
	m := ests[len(ests)/2]
	// A rate below 100 MHz is no invariant TSC's: the sleeps did not take the
	// time they said (the fake clock of a testing/synctest bubble).
	if !(m.hz > 1e8 && m.hz < 1e11) || !(m.bound <= maxError) {
		return 0, 0, false
	}
	return m.hz, m.bound, true
}
