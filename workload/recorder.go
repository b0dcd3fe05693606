package workload

import (
	"fmt"
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
	// Tick's clock was in [start+j·interval, start+(j+1)·interval).
	start    time.Time
	interval time.Duration
	series   []int64
	cur      int // index of the current interval in series
}

// NewRecorder returns an empty recorder whose interval series starts at start
// with one slot per interval (interval <= 0 keeps a single slot).
func NewRecorder(start time.Time, interval time.Duration) *Recorder {
	return &Recorder{
		hist:     hdrhistogram.New(histMin, histMax, histSigFigs),
		start:    start,
		interval: interval,
		series:   make([]int64, 1, 64),
	}
}

// Tick moves the interval series to the interval holding now; the ops recorded
// from then on count in that interval. Times before start count in the first
// interval, and time never goes backwards. The worker calls Tick with the end
// time of each op before Record (it is a subtraction and a compare) or at
// least once per interval. The series grows by one slot per interval crossed,
// an allocation amortized over every op of the interval.
func (r *Recorder) Tick(now time.Time) {
	if r.interval <= 0 {
		return
	}
	d := now.Sub(r.start)
	if d < 0 {
		return
	}
	j := int(d / r.interval)
	if j <= r.cur {
		return
	}
	for len(r.series) <= j {
		r.series = append(r.series, 0)
	}
	r.cur = j
}

// Record adds one op of latency lat that moved n bytes. Latencies below 0 count
// as 0 and above 100 s as 100 s.
func (r *Recorder) Record(lat time.Duration, n int64) {
	ns := int64(lat)
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
		return NewRecorder(time.Time{}, 0), nil
	}
	m := NewRecorder(first.start, first.interval)
	for _, r := range recs {
		if r == nil {
			continue
		}
		if !r.start.Equal(m.start) || r.interval != m.interval {
			return nil, fmt.Errorf("workload: merging recorders of different runs (start %v/%v, interval %v/%v)",
				m.start, r.start, m.interval, r.interval)
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
		m.cur = max(m.cur, r.cur)
	}
	return m, nil
}
