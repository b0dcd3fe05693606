package vfs_test

// The stress runs: safe strategies find nothing wrong, none shows the race.

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// TestStressSafe: the four safe strategies never expose stale or foreign data,
// whatever races the puncher, with the race window widened; fsck is clean and
// every page holds its final value afterwards; the lock order is never broken.
func TestStressSafe(t *testing.T) {
	for _, name := range strategies.SafeNames() {
		t.Run(name, func(t *testing.T) {
			s, err := strategies.New(name)
			if err != nil {
				t.Fatal(err)
			}
			everyOp := []string{"read", "read mapped", "fault", "mkwrite", "punch", "zero", "truncate", "advise", "write"}
			e, r := runStress(t, stressConfig{strategy: s, dur: stressDur(1500 * time.Millisecond), raceWindow: time.Millisecond, everyOp: everyOp})
			v := r.verify
			t.Logf("%s: %d pages verified in %v; ops %v", name, v.Checked, r.elapsed.Round(time.Millisecond), r.ops)
			checkNothingWrong(t, v)
			if v.Checked == 0 {
				t.Error("nothing verified")
			}
			for _, op := range everyOp {
				if r.ops[op] == 0 {
					t.Errorf("no %s ran", op)
				}
			}
			checkNoViolations(t, r)
			e.finalCheck(t)
		})
	}
}

// readFindings counts the findings in pages returned by read(2): pages that
// read(2), readahead or advise created.
func readFindings(v results.Verify) int64 {
	f := v.ByOp[oracle.OpRead.String()]
	return f.Stale + f.Foreign
}

// TestStressNoneShowsStale: ext4 before 5.15 creates pages through read(2),
// readahead and advise with no lock, so with the race window widened the
// oracle catches stale or foreign data within seconds.
func TestStressNoneShowsStale(t *testing.T) {
	_, r := runStress(t, stressConfig{
		strategy:   strategies.None(),
		dur:        10 * time.Second,
		raceWindow: 2 * time.Millisecond,
		until:      func(v results.Verify) bool { return readFindings(v) > 0 },
	})
	v := r.verify
	t.Logf("none: stale %d, foreign %d, torn %d, corrupt %d after %v, %d pages verified; by op %v",
		v.Stale, v.Foreign, v.Torn, v.Corrupt, r.elapsed.Round(time.Millisecond), v.Checked, v.ByOp)
	if len(v.Examples) > 0 {
		t.Logf("first finding: %s", v.Examples[0])
	}
	if readFindings(v) == 0 {
		t.Errorf("no stale or foreign data through read(2) in %v from the strategy that has the race", r.elapsed)
	}
	checkNoViolations(t, r)
}

// TestStressNoneFaultsSafe: the same strategy serializes faults against punch
// (i_mmap_sem), so when file 0 is only read and written through mappings the
// oracle finds nothing.
func TestStressNoneFaultsSafe(t *testing.T) {
	e, r := runStress(t, stressConfig{
		strategy:   strategies.None(),
		dur:        stressDur(1500 * time.Millisecond),
		raceWindow: 2 * time.Millisecond,
		faultOnly:  true,
	})
	v := r.verify
	t.Logf("none, faults only: %d pages verified in %v; ops %v", v.Checked, r.elapsed.Round(time.Millisecond), r.ops)
	checkNothingWrong(t, v)
	if r.ops["fault"] == 0 || r.ops["mkwrite"] == 0 || r.ops["punch"] == 0 {
		t.Errorf("ops %v", r.ops)
	}
	if r.ops["read"] != 0 || r.ops["advise"] != 0 {
		t.Errorf("read(2) or advise ran in the fault-only stress: %v", r.ops)
	}
	checkNoViolations(t, r)
	e.finalCheck(t)
}

// TestReadRacingTruncate: read(2) racing a truncate returns a short count (or
// zero), never an error: only a fault past EOF is SIGBUS.
func TestReadRacingTruncate(t *testing.T) {
	for _, name := range strategies.Names() {
		t.Run(name, func(t *testing.T) {
			s, err := strategies.New(name)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := vfs.New(blockdev.NewMemory(256, 0), s, 1, 64*ps, vfs.Options{Validate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			var stop atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() {
				tk := fs.NewTask()
				defer tk.Close()
				for i := 0; !stop.Load(); i++ {
					size := int64(32+i%32) * ps
					if err := tk.Truncate(0, size); err != nil {
						t.Error(err)
						return
					}
					if err := tk.Truncate(0, 64*ps); err != nil {
						t.Error(err)
						return
					}
				}
			})
			tk := fs.NewTask()
			defer tk.Close()
			buf := make([]byte, 8*ps)
			deadline := time.Now().Add(stressDur(300 * time.Millisecond))
			reads := 0
			for ; time.Now().Before(deadline); reads++ {
				off := int64(32+reads%32) * ps
				if _, err := tk.Read(0, off, buf); err != nil {
					t.Errorf("read at page %d racing truncate: %v", off/ps, err)
					break
				}
			}
			stop.Store(true)
			wg.Wait()
			if v := fs.Violations(); len(v) > 0 {
				t.Error(v[0])
			}
		})
	}
}
