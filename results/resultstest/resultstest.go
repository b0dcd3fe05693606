// Package resultstest builds realistic results files for the tests of the packages
// that read them (report, compare). A Spec states the medians a cell's runs scatter
// around; Build draws every run from a PCG generator seeded by Spec.Seed, so a Spec
// always builds the same file, and derives the figures a run has from one another
// the way the runner would (count from rate and duration, bytes from count, the
// latency percentiles from the median), so fixtures are self-consistent.
//
// Tests commit what Build makes as testdata and regenerate it with their -update
// flag; the committed files, not Build, are what the golden tests read.
package resultstest

import (
	"encoding/json"
	"math"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/rwbench/rwbench/results"
)

// Spec describes a results file.
type Spec struct {
	Seed    uint64
	Name    string
	RWBench string
	// Config is the resolved config as JSON; "" gives a small default config.
	Config  string
	Started time.Time
	Machine results.Machine
	// DurationSec is each run's measurement window; 0 means 10.
	DurationSec int
	// Intervals adds one interval per second to each run.
	Intervals bool
	Cells     []CellSpec
}

// CellSpec describes one cell: its identity and what its runs scatter around.
type CellSpec struct {
	Strategy string
	// Target defaults to "model".
	Target string
	Params map[string]string
	Runs   int
	Ops    []OpSpec
	Locks  []LockSpec
	// Stale, Foreign, Torn and Corrupt are the findings of each run; stale,
	// foreign and torn ones are attributed to the cell's first op.
	Stale, Foreign, Torn, Corrupt int64
	// FsckFailRun is the 1-based run whose fsck fails; 0 for none.
	FsckFailRun int
}

// OpSpec describes one op of a cell.
type OpSpec struct {
	Op        string
	OpsPerSec float64 // the median rate
	P50Ns     float64 // the median latency; the other percentiles follow from it
	Bytes     int64   // bytes per op (0 for punch, truncate, advise)
	// Noise is the relative half-width of the uniform scatter of rate and latency
	// between runs (0.03: ±3%).
	Noise float64
}

// LockSpec describes a lock class at a call site.
type LockSpec struct {
	Lock, Site, Mode string
	PerOp            float64 // acquisitions per op of the cell
	Contended        float64 // fraction of the acquisitions that waited
	WaitNs           float64 // mean wait of a contended acquisition
	HoldNs           float64 // mean hold
}

// Machine is a typical CI runner.
func Machine() results.Machine {
	return results.Machine{
		Brand: "AMD EPYC 7B13", Vendor: "AMD", Family: 25, Model: 1,
		PhysicalCores: 2, LogicalCores: 4, ThreadsPerCore: 2,
		L1DataBytes: 32768, L1InstBytes: 32768, L2Bytes: 524288, L3Bytes: 33554432,
		Hypervisor: "KVM", Features: []string{"AESNI", "AVX", "AVX2", "BMI2", "SSE42"},
		Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 4, FSType: "ext4",
		GOOS: "linux", GOARCH: "amd64",
	}
}

// DefaultConfig is the config Build uses when the Spec has none.
const DefaultConfig = `{"name":"punch-vs-fill","description":"hole punching against readers filling the cache","seed":1,` +
	`"image":{"path":"/var/tmp/rwbench.img","size":"1GiB"},"cache":{"size":"256MiB"},"duration":"10s","repeat":5,` +
	`"jobs":[{"op":"read","threads":4,"size":"4KiB"},{"op":"punch","threads":1,"size":"64KiB"}]}`

// Build makes the results file sp describes, with summaries at the default confidence.
func Build(sp Spec) *results.File {
	r := rand.New(rand.NewPCG(sp.Seed, 0x5eed))
	dur := sp.DurationSec
	if dur == 0 {
		dur = 10
	}
	cfg := sp.Config
	if cfg == "" {
		cfg = DefaultConfig
	}
	f := &results.File{
		Schema:  results.Schema,
		RWBench: sp.RWBench,
		Started: sp.Started,
		Machine: sp.Machine,
		Config:  json.RawMessage(cfg),
		Name:    sp.Name,
	}
	at := sp.Started.Add(2 * time.Second)
	for _, cs := range sp.Cells {
		c := results.Cell{Strategy: cs.Strategy, Target: cs.Target, Params: cs.Params}
		if c.Target == "" {
			c.Target = "model"
		}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		for i := range cs.Runs {
			c.Runs = append(c.Runs, buildRun(r, cs, i+1, at, dur, sp.Intervals))
			at = at.Add(time.Duration(dur+1) * time.Second)
		}
		results.Summarize(&c, results.DefaultConfidence)
		f.Results = append(f.Results, c)
	}
	f.Finished = at
	return f
}

// jitter is 1 ± up to noise, uniformly.
func jitter(r *rand.Rand, noise float64) float64 {
	return 1 + noise*(2*r.Float64()-1)
}

// hist spreads n durations around mean over three log2 buckets (a quarter
// below the mean's, 60% in it, the rest above), as the runner's lock histograms
// hold them; nil when there are none.
func hist(n int64, mean float64) []int64 {
	if n == 0 || mean < 2 {
		return nil
	}
	b := bits.Len64(uint64(mean))
	h := make([]int64, b+2)
	h[b-1] = n / 4
	h[b] = n * 6 / 10
	h[b+1] = n - h[b-1] - h[b]
	return h
}

// round3 keeps 3 decimals so the JSON stays readable.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func buildRun(r *rand.Rand, cs CellSpec, rep int, at time.Time, dur int, intervals bool) results.Run {
	run := results.Run{
		Rep:        rep,
		Started:    at,
		DurationNs: int64(dur) * 1e9,
		Ops:        map[string]results.OpStats{},
		Locks:      []results.LockStat{},
		Fsck:       results.Fsck{Ok: true},
	}
	var total int64
	for _, o := range cs.Ops {
		rate := o.OpsPerSec * jitter(r, o.Noise)
		count := int64(rate * float64(dur))
		p50 := math.Round(o.P50Ns * jitter(r, o.Noise))
		s := results.OpStats{
			Count:       count,
			Bytes:       count * o.Bytes,
			OpsPerSec:   round3(float64(count) / float64(dur)),
			BytesPerSec: round3(float64(count*o.Bytes) / float64(dur)),
			LatencyNs: results.Latency{
				Min:    math.Round(p50 * 0.31),
				Mean:   math.Round(p50 * 1.62),
				Max:    math.Round(p50 * 148 * jitter(r, 0.3)),
				Stddev: math.Round(p50 * 3.1),
				P50:    p50,
				P90:    math.Round(p50 * 2.1 * jitter(r, o.Noise)),
				P99:    math.Round(p50 * 5.3 * jitter(r, 2*o.Noise)),
				P999:   math.Round(p50 * 21.7 * jitter(r, 3*o.Noise)),
				P9999:  math.Round(p50 * 61 * jitter(r, 4*o.Noise)),
			},
		}
		if count == 0 {
			s.LatencyNs = results.Latency{}
		}
		run.Ops[o.Op] = s
		total += count
	}
	// Memory, without drawing from r (the other figures stay as they were).
	run.PeakRSSBytes = int64(300+rep) << 20
	run.BufferPool = &results.BufferPool{Slabs: 1064, Throttled: int64(3 * dur), Loose: int64(8 * (rep + 1) * dur)}
	if intervals {
		for sec := range dur {
			iv := results.Interval{StartNs: int64(sec) * 1e9, Ops: map[string]int64{}, RSSBytes: int64(290+sec) << 20}
			for _, o := range cs.Ops {
				iv.Ops[o.Op] = int64(float64(run.Ops[o.Op].Count) / float64(dur) * jitter(r, 0.05))
			}
			run.Intervals = append(run.Intervals, iv)
		}
	}
	for _, l := range cs.Locks {
		acq := int64(l.PerOp * float64(total) * jitter(r, 0.01))
		cont := int64(float64(acq) * l.Contended * jitter(r, 0.1))
		run.Locks = append(run.Locks, results.LockStat{
			Lock: l.Lock, Site: l.Site, Mode: l.Mode,
			Acquisitions: acq,
			Contended:    cont,
			WaitNs:       int64(float64(cont) * l.WaitNs * jitter(r, 0.1)),
			HoldNs:       int64(float64(acq) * l.HoldNs * jitter(r, 0.05)),
			WaitHist:     hist(cont, l.WaitNs),
			HoldHist:     hist(acq, l.HoldNs),
		})
	}
	var checked int64
	for _, o := range cs.Ops {
		if o.Bytes > 0 {
			checked += run.Ops[o.Op].Count * o.Bytes / 4096
		}
	}
	run.Verify = results.Verify{Checked: checked, Stale: cs.Stale, Foreign: cs.Foreign, Torn: cs.Torn, Corrupt: cs.Corrupt}
	if (cs.Stale > 0 || cs.Foreign > 0 || cs.Torn > 0) && len(cs.Ops) > 0 {
		run.Verify.ByOp = map[string]results.Findings{cs.Ops[0].Op: {Stale: cs.Stale, Foreign: cs.Foreign, Torn: cs.Torn}}
		run.Verify.Examples = []string{"file 0 page 1834: stale: read returned generation 41, oracle has 42 (punched at 3.2s)"}
	}
	if rep == cs.FsckFailRun {
		run.Fsck = results.Fsck{Ok: false, Errors: []string{"file 0: block 1834 mapped but free in the allocator"}}
	}
	return run
}
