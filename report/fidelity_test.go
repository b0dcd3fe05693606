package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/results/resultstest"
)

const fidelityFixture = "testdata/fidelity.json"

// fidelitySpec is a run of both model strategies and the three real
// filesystems in two phases, with the figures the project measured on its
// machine (cold: the model's irwsem reads faster than invalidate where real
// XFS reads slower than ext4; warm: same direction, but the model's ratio far
// stronger).
func fidelitySpec() resultstest.Spec {
	cell := func(strategy, target, phase string, reads, readP50, writes, writeP50 float64) resultstest.CellSpec {
		return resultstest.CellSpec{
			Strategy: strategy, Target: target, Params: map[string]string{"phase": phase}, Runs: 3,
			Ops: []resultstest.OpSpec{
				{Op: "read", OpsPerSec: reads, P50Ns: readP50, Bytes: 8192, Noise: 0.03},
				{Op: "write", OpsPerSec: writes, P50Ns: writeP50, Bytes: 8192, Noise: 0.03},
			},
			Locks: []resultstest.LockSpec{{Lock: "i_rwsem", Site: "write", Mode: "exclusive", PerOp: 0.5, Contended: 0.2, WaitNs: 90000, HoldNs: 20000}},
		}
	}
	return resultstest.Spec{
		Seed: 7, Name: "fidelity", RWBench: "v0.1.0", Machine: resultstest.Machine(), DurationSec: 10,
		Started: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC),
		Cells: []resultstest.CellSpec{
			cell("irwsem", "model", "cold", 16600, 300000, 4100, 1.2e6),
			cell("invalidate", "model", "cold", 10800, 500000, 5100, 1.0e6),
			cell("xfs", "realfs", "cold", 2580, 2.5e6, 42000, 90000),
			cell("ext4", "realfs", "cold", 7820, 900000, 52000, 70000),
			cell("btrfs", "realfs", "cold", 5200, 1.3e6, 30000, 120000),
			cell("irwsem", "model", "warm", 65900, 90000, 9000, 500000),
			cell("invalidate", "model", "warm", 1.03e6, 5000, 4000, 800000),
			cell("xfs", "realfs", "warm", 145000, 40000, 58000, 60000),
			cell("ext4", "realfs", "warm", 178000, 30000, 81000, 50000),
		},
	}
}

// buildFidelity builds the fixture: the real cells' lock rows are the
// kernel's (contentions only, as package ktrace reports them) and their runs
// and the model's invalidate runs have dirty pauses.
func buildFidelity() *results.File {
	f := resultstest.Build(fidelitySpec())
	for ci := range f.Results {
		c := &f.Results[ci]
		for ri := range c.Runs {
			r := &c.Runs[ri]
			if c.Target == "realfs" {
				r.BufferPool = nil // the model's own
				r.Locks = []results.LockStat{
					{Lock: "i_rwsem", Site: "read_entry", Mode: "shared", Contended: 4000 + int64(ri)*100, WaitNs: 4e9, WaitHist: []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 2000, 1000 + int64(ri)*100}},
					{Lock: "other", Site: "xfs_read_iomap_begin<-iomap_iter", Mode: "shared", Contended: 10, WaitNs: 5e5, WaitHist: []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10}},
				}
			}
			if c.Target == "realfs" || c.Strategy == "invalidate" {
				r.DirtyPauses = &results.Pauses{Count: 120 + int64(ri), TotalNs: 960e6, P99Ns: 12e6, MaxNs: 40e6 + int64(ri)*4e6}
			}
		}
	}
	return f
}

func loadFidelity(t *testing.T) *results.File {
	t.Helper()
	if *update {
		if err := results.Write(fidelityFixture, buildFidelity()); err != nil {
			t.Fatal(err)
		}
	}
	f, err := results.Read(fidelityFixture)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGoldenFidelity(t *testing.T) {
	f := loadFidelity(t)
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, f); err != nil {
				t.Fatal(err)
			}
			golden(t, "fidelity."+format+".golden", b.Bytes())
		})
	}
}

// TestFidelityFigures checks the figures themselves on the fixture: the cold
// reads' model ratio is above 1 where the real one is below (OPPOSITE), the
// warm reads' agree, and each model strategy is held against each of its
// counterparts.
func TestFidelityFigures(t *testing.T) {
	fid := FidelityOf([]*results.File{loadFidelity(t)})
	type key struct{ params, op, real string }
	got := map[key]FidelityPair{}
	for _, p := range fid.Pairs {
		got[key{p.Params, p.Op, p.Real}] = p
	}
	if len(fid.Pairs) != 6 { // cold: 2 ops × (xfs/ext4, xfs/btrfs); warm: 2 ops × xfs/ext4
		t.Errorf("%d pairs, want 6: %+v", len(fid.Pairs), fid.Pairs)
	}
	cold := got[key{"phase=cold", "read", "xfs/ext4"}]
	if cold.ModelOps <= 1 || cold.RealOps >= 1 || cold.OpsAgree || cold.OpsFactor != cold.ModelOps/cold.RealOps {
		t.Errorf("cold reads: %+v, want model > 1, real < 1, OPPOSITE", cold)
	}
	warm := got[key{"phase=warm", "read", "xfs/ext4"}]
	if warm.ModelOps >= 1 || warm.RealOps >= 1 || !warm.OpsAgree || warm.P99Agree == nil {
		t.Errorf("warm reads: %+v, want both < 1, agreeing, with p99", warm)
	}
	if len(fid.Speed) != 10 { // cold: irwsem-xfs, invalidate-ext4, invalidate-btrfs; warm: 2; × 2 ops
		t.Errorf("%d speed rows, want 10", len(fid.Speed))
	}
	b, err := json.Marshal(fid)
	if err != nil || !bytes.Contains(b, []byte(`"ops_agree":false`)) {
		t.Errorf("JSON %s, %v: want an ops_agree false", b, err)
	}
}

// TestSide checks the direction the runs give a pair: separated runs point one
// way, overlapping runs (or a cell without the op) point none.
func TestSide(t *testing.T) {
	cell := func(ops ...float64) *results.Cell {
		c := &results.Cell{}
		for _, v := range ops {
			c.Runs = append(c.Runs, results.Run{Ops: map[string]results.OpStats{"read": {OpsPerSec: v}}})
		}
		return c
	}
	for _, tc := range []struct {
		name string
		a, b *results.Cell
		want int
	}{
		{"a faster in every run", cell(10, 12, 11), cell(5, 9, 7), 1},
		{"a slower in every run", cell(1, 2), cell(3, 4), -1},
		{"ranges overlap", cell(10, 5), cell(6, 7), 0},
		{"equal ranges", cell(3, 3), cell(3, 3), 0},
		{"no runs of a", cell(), cell(1), 0},
	} {
		if got := Side(tc.a, tc.b, "read"); got != tc.want {
			t.Errorf("%s: Side = %d, want %d", tc.name, got, tc.want)
		}
	}
}
