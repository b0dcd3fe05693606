package workload

import (
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The histogram's range and precision.
const (
	histMin     = 1                        // ns
	histMax     = int64(100 * time.Second) // ns; longer latencies are clamped
	histSigFigs = 3                        // relative error <= 0.1%
)

// Recorder records the latencies of one op kind in one worker. It belongs to one
// goroutine; the runner merges the workers' recorders with [Merge] afterwards.
//
// A Recorder holds an HDR histogram of about 225 KiB, so the runner should
// create recorders only for the op kinds in its mix.
type Recorder struct {
	hist      *hdrhistogram.Histogram
	count     int64
	bytes     int64
	errors    int64
	sumNs     int64 // exact, for the mean
	minNs     int64
	maxNs     int64
	saturated int64 // latencies above histMax, recorded as histMax

	// Per-interval op counts: series[j] counts the ops recorded while
	// Tick's clock was in [start+j·interval, start+(j+1)·interval). Times are
	// nanoseconds on the caller's clock (the runner's: since the run's start).
	start    int64
	interval int64
	series   []int64
	cur      int   // index of the current interval in series
	next     int64 // where interval cur ends: the next Tick at or past it moves on
}

// NewRecorder returns an empty recorder whose interval series starts at start
// (nanoseconds on the clock Tick is given) with one slot per interval
// (interval <= 0 keeps a single slot).
func NewRecorder(start int64, interval time.Duration) *Recorder {
	r := &Recorder{
		hist:     hdrhistogram.New(histMin, histMax, histSigFigs),
		start:    start,
		interval: int64(interval),
		series:   make([]int64, 1, 64),
		next:     math.MaxInt64,
	}
	if r.interval > 0 {
		r.next = satAdd(start, r.interval)
	}
	return r
}

// Tick moves the interval series to the interval holding now (nanoseconds on
// the recorder's clock); the ops recorded from then on count in that interval.
// Times before start count in the first interval, and time never goes
// backwards. The worker calls Tick with the end time of each op before Record
// or at least once per interval. Within an interval Tick is one compare (with
// the end of the interval); the series grows by one slot per interval crossed,
// an allocation amortized over every op of the interval.
func (r *Recorder) Tick(now int64) {
	if now < r.next {
		return
	}
	r.advance(now)
}

// advance is Tick past the end of the current interval.
func (r *Recorder) advance(now int64) {
	if r.interval <= 0 {
		return // one slot; next is MaxInt64, reached only by a Tick at MaxInt64
	}
	d := now - r.start // now >= next > start, and interval > 0
	j := int(d / r.interval)
	for len(r.series) <= j {
		r.series = append(r.series, 0)
	}
	r.cur = j
	r.next = satAdd(now-d%r.interval, r.interval)
}

// satAdd is a+b for b >= 0, capped at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Record adds one op of latency ns nanoseconds that moved n bytes. Latencies
// below 0 count as 0 and above 100 s as 100 s.
func (r *Recorder) Record(ns int64, n int64) {
	if ns < 0 {
		ns = 0
	}
	if ns > histMax {
		ns = histMax
		r.saturated++
	}
	if r.count == 0 || ns < r.minNs {
		r.minNs = ns
	}
	if ns > r.maxNs {
		r.maxNs = ns
	}
	r.count++
	r.bytes += n
	r.sumNs += ns
	r.series[r.cur]++
	_ = r.hist.RecordValue(ns) // cannot fail: 0 <= ns <= histMax
}

// Error counts one failed op. Failed ops are not in the latency figures.
func (r *Recorder) Error() { r.errors++ }

// Intervals returns the op counts per interval, the current (possibly partial)
// interval last. The slice is the recorder's own: copy it to keep it.
func (r *Recorder) Intervals() []int64 { return r.series }

// Stats are a recorder's figures. Latencies are in nanoseconds.
type Stats struct {
	Count, Bytes, Errors int64
	// Saturated counts latencies above 100 s, recorded as 100 s.
	Saturated int64
	// Min, Max and Mean are exact; the percentiles are within 0.1%.
	Min, Mean, Max float64
	// Stddev is the population standard deviation over the histogram's buckets
	// (hdrhistogram's StdDev), not the sample one: with thousands of ops the
	// difference is below the histogram's own resolution.
	Stddev                     float64
	P50, P90, P99, P999, P9999 float64
}

// Snapshot returns the recorder's figures. It does not change the recorder.
func (r *Recorder) Snapshot() Stats {
	s := Stats{Count: r.count, Bytes: r.bytes, Errors: r.errors, Saturated: r.saturated}
	if r.count == 0 {
		return s
	}
	s.Min = float64(r.minNs)
	s.Max = float64(r.maxNs)
	s.Mean = float64(r.sumNs) / float64(r.count)
	s.Stddev = r.hist.StdDev()
	q := r.hist.ValueAtPercentilesSlice([]float64{50, 90, 99, 99.9, 99.99})
	s.P50, s.P90, s.P99, s.P999, s.P9999 = float64(q[0]), float64(q[1]), float64(q[2]), float64(q[3]), float64(q[4])
	return s
}

// Merge returns a new recorder holding the sum of recs (nil entries are
// skipped): histograms merged, counts added, interval series added slot by
// slot. The recorders must have been made with the same start and interval
// (those of one run); Merge returns an error otherwise. Merging no recorder
// gives an empty one with a zero start.
func Merge(recs ...*Recorder) (*Recorder, error) {
	var first *Recorder
	for _, r := range recs {
		if r != nil {
			first = r
			break
		}
	}
	if first == nil {
		return NewRecorder(0, 0), nil
	}
	m := NewRecorder(first.start, time.Duration(first.interval))
	for _, r := range recs {
		if r == nil {
			continue
		}
		if r.start != m.start || r.interval != m.interval {
			return nil, fmt.Errorf("workload: merging recorders of different runs (start %d/%d ns, interval %v/%v)",
				m.start, r.start, time.Duration(m.interval), time.Duration(r.interval))
		}
		if r.count > 0 {
			if m.count == 0 || r.minNs < m.minNs {
				m.minNs = r.minNs
			}
			m.maxNs = max(m.maxNs, r.maxNs)
		}
		m.count += r.count
		m.bytes += r.bytes
		m.errors += r.errors
		m.sumNs += r.sumNs
		m.saturated += r.saturated
		if dropped := m.hist.Merge(r.hist); dropped != 0 {
			return nil, fmt.Errorf("workload: histogram merge dropped %d values", dropped)
		}
		for len(m.series) < len(r.series) {
			m.series = append(m.series, 0)
		}
		for j, c := range r.series {
			m.series[j] += c
		}
		if r.cur > m.cur {
			m.cur, m.next = r.cur, r.next
		}
	}
	return m, nil
}
