package plots

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
)

var regenFixture = flag.Bool("fixture", false, "regenerate testdata/fixture.json (then run with -update)")

const fixturePath = "testdata/fixture.json"

// TestGenerateFixture rewrites the committed fixture when run with -fixture. The
// fixture is 3 strategies × a sweep of threads (2, 8) × 3 runs × 2 ops, with
// intervals, locks and findings, drawn from a PCG generator with a fixed seed.
func TestGenerateFixture(t *testing.T) {
	if !*regenFixture {
		t.Skip("run with -fixture to regenerate " + fixturePath)
	}
	data, err := json.MarshalIndent(makeFixture(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixturePath, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func makeFixture() *results.File {
	rng := rand.New(rand.NewPCG(2026, 7))
	jitter := func(x, rel float64) float64 { return x * (1 + rel*(2*rng.Float64()-1)) }
	round := func(x float64) float64 { return math.Round(x*10) / 10 }
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const runSec = 5

	type opSpec struct {
		rate, p50Ns, tail float64 // tail: p9999/p50
		bytes             int64
	}
	type lockSpec struct {
		lock, site, mode string
		waitMs           float64
	}
	type stratSpec struct {
		name         string
		read, punch  opSpec
		locks        []lockSpec
		stale, fault int64 // stale pages per run via read and fault (threads=8)
		foreign      int64
	}
	strategies := []stratSpec{
		{
			name:  "none",
			read:  opSpec{rate: 120000, p50Ns: 6000, tail: 40, bytes: 4096},
			punch: opSpec{rate: 9000, p50Ns: 45000, tail: 30},
			locks: []lockSpec{{"i_rwsem", "punch_hole", "exclusive", 4}},
			stale: 7, fault: 2, foreign: 1,
		},
		{
			name:  "perpage",
			read:  opSpec{rate: 95000, p50Ns: 8000, tail: 60, bytes: 4096},
			punch: opSpec{rate: 6000, p50Ns: 70000, tail: 45},
			locks: []lockSpec{
				{"i_rwsem", "punch_hole", "exclusive", 5},
				{"folio_lock", "filemap_read", "exclusive", 38},
				{"folio_lock", "punch_hole", "exclusive", 21},
			},
		},
		{
			name:  "invalidate",
			read:  opSpec{rate: 70000, p50Ns: 9000, tail: 150, bytes: 4096},
			punch: opSpec{rate: 4500, p50Ns: 90000, tail: 80},
			locks: []lockSpec{
				{"i_rwsem", "punch_hole", "exclusive", 5},
				{"invalidate_lock", "filemap_read", "shared", 64},
				{"invalidate_lock", "punch_hole", "exclusive", 120},
			},
		},
	}

	f := &results.File{
		Schema:   results.Schema,
		RWBench:  "v0.1.0-fixture",
		Started:  start,
		Finished: start.Add(20 * time.Minute),
		Machine: results.Machine{
			Brand: "AMD EPYC 7B13 64-Core Processor", Vendor: "AuthenticAMD", Family: 25, Model: 1,
			PhysicalCores: 8, LogicalCores: 16, ThreadsPerCore: 2,
			Kernel: "6.8.0-1015-gcp", GoVersion: "go1.26.8", GOMAXPROCS: 16, FSType: "ext4",
		},
		Config: json.RawMessage(`{"name":"punch-vs-fill","duration":"5s","runs":3,"sweep":{"threads":["2","8"]}}`),
		Name:   "punch-vs-fill",
	}
	for _, threads := range []string{"2", "8"} {
		scale, contention := 1.0, 1.0
		if threads == "8" {
			scale, contention = 3.1, 4.5
		}
		for _, s := range strategies {
			c := results.Cell{Strategy: s.name, Target: "model", Params: map[string]string{"threads": threads}}
			for rep := range 3 {
				run := results.Run{
					Rep:        rep,
					Started:    start.Add(time.Duration(len(f.Results)*3+rep) * 10 * time.Second),
					DurationNs: runSec * 1e9,
					Ops:        map[string]results.OpStats{},
				}
				for _, o := range []struct {
					name string
					spec opSpec
				}{{"read", s.read}, {"punch", s.punch}} {
					rate := jitter(o.spec.rate*scale, 0.04)
					if o.name == "punch" {
						rate = jitter(o.spec.rate*math.Sqrt(scale), 0.04)
					}
					count := int64(rate * runSec)
					p50 := jitter(o.spec.p50Ns*math.Sqrt(contention), 0.05)
					lat := results.Latency{
						Min: round(p50 * 0.3), P50: round(p50), P90: round(p50 * 2.1),
						P99: round(p50 * jitter(o.spec.tail/6, 0.1)), P999: round(p50 * jitter(o.spec.tail/2.5, 0.1)),
						P9999: round(p50 * jitter(o.spec.tail, 0.1)),
					}
					lat.Max = round(lat.P9999 * 1.8)
					lat.Mean = round(p50 * 1.4)
					lat.Stddev = round(p50 * 1.1)
					run.Ops[o.name] = results.OpStats{
						Count: count, Bytes: count * o.spec.bytes,
						OpsPerSec: round(float64(count) / runSec), BytesPerSec: round(float64(count*o.spec.bytes) / runSec),
						LatencyNs: lat,
					}
				}
				for i := range runSec {
					iv := results.Interval{StartNs: int64(i) * 1e9, Ops: map[string]int64{}}
					for name, st := range run.Ops {
						per := float64(st.Count) / runSec
						if s.name == "invalidate" && threads == "8" && rep == 0 && i == 3 && name == "read" {
							per *= 0.45 // a stall while a punch invalidates
						}
						iv.Ops[name] = int64(jitter(per, 0.08))
					}
					run.Intervals = append(run.Intervals, iv)
				}
				for _, l := range s.locks {
					acq := int64(jitter(50000*scale, 0.1))
					run.Locks = append(run.Locks, results.LockStat{
						Lock: l.lock, Site: l.site, Mode: l.mode, Acquisitions: acq,
						Contended: int64(float64(acq) * 0.02 * contention),
						WaitNs:    int64(jitter(l.waitMs*contention, 0.15) * 1e6),
						HoldNs:    int64(jitter(l.waitMs*3, 0.1) * 1e6),
					})
				}
				run.Verify.Checked = int64(jitter(180000*scale, 0.05))
				if s.stale > 0 {
					k := int64(1)
					if threads == "8" {
						k = 3
					}
					read := results.Findings{Stale: s.stale*k + int64(rng.IntN(3)), Foreign: s.foreign * (k - 1)}
					fault := results.Findings{Stale: s.fault*k + int64(rng.IntN(2))}
					run.Verify.ByOp = map[string]results.Findings{"read": read, "fault": fault}
					run.Verify.Stale = read.Stale + fault.Stale
					run.Verify.Foreign = read.Foreign + fault.Foreign
					if threads == "8" && rep == 2 {
						run.Verify.Stale++ // one finding the oracle could not attribute to a path
						run.Verify.Examples = []string{"file 3 page 1187: stale generation 41 (want 42) via ?"}
					}
				}
				run.Fsck.Ok = true
				c.Runs = append(c.Runs, run)
			}
			// The runner's Summary: with 3 runs benchmath's 95% median interval is
			// unbounded, stored as the sample's range at its lower confidence (0.75).
			results.Summarize(&c, results.DefaultConfidence)
			f.Results = append(f.Results, c)
		}
	}
	return f
}

// loadFixture reads the committed fixture.
func loadFixture(t *testing.T) *results.File {
	t.Helper()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatalf("%v (generate it with go test -run TestGenerateFixture -fixture)", err)
	}
	var f results.File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// noSweepFixture is the fixture's threads=8 cells as a file without a sweep.
func noSweepFixture(t *testing.T) *results.File {
	f := loadFixture(t)
	f.Name = "punch-vs-fill-t8"
	var cells []results.Cell
	for _, c := range f.Results {
		if c.Params["threads"] == "8" {
			c.Params = nil
			cells = append(cells, c)
		}
	}
	f.Results = cells
	return f
}
