package results_test

import (
	"reflect"
	"testing"

	"github.com/rwbench/rwbench/results"
)

func TestDiffLocks(t *testing.T) {
	ls := func(lock, site, mode string, acq, cont, wait, hold int64) results.LockStat {
		return results.LockStat{Lock: lock, Site: site, Mode: mode, Acquisitions: acq, Contended: cont, WaitNs: wait, HoldNs: hold}
	}
	for _, tc := range []struct {
		name       string
		a, b, want []results.LockStat
	}{
		{"nothing", nil, nil, nil},
		{"no snapshot before", nil,
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20)},
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20)}},
		{"subtracts every figure",
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20)},
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 12, 4, 110, 220)},
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 7, 3, 100, 200)}},
		{"unused in the window is dropped",
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20), ls("page_lock", "fault", "exclusive", 3, 0, 0, 9)},
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20), ls("page_lock", "fault", "exclusive", 4, 0, 0, 12)},
			[]results.LockStat{ls("page_lock", "fault", "exclusive", 1, 0, 0, 3)}},
		{"gone from the second snapshot is dropped",
			[]results.LockStat{ls("i_rwsem", "write", "exclusive", 5, 1, 10, 20)},
			nil, nil},
		{"key is lock, site and mode; sorted by it",
			[]results.LockStat{ls("i_rwsem", "read", "shared", 1, 0, 0, 0), ls("i_rwsem", "read", "exclusive", 2, 0, 0, 0)},
			[]results.LockStat{
				ls("page_lock", "read", "exclusive", 1, 0, 0, 0),
				ls("i_rwsem", "read", "shared", 4, 0, 0, 0),
				ls("i_rwsem", "read", "exclusive", 3, 0, 0, 0),
				ls("i_rwsem", "punch", "exclusive", 1, 1, 5, 5),
			},
			[]results.LockStat{
				ls("i_rwsem", "punch", "exclusive", 1, 1, 5, 5),
				ls("i_rwsem", "read", "exclusive", 1, 0, 0, 0),
				ls("i_rwsem", "read", "shared", 3, 0, 0, 0),
				ls("page_lock", "read", "exclusive", 1, 0, 0, 0),
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]results.LockStat(nil), tc.b...)
			got := results.DiffLocks(tc.a, tc.b)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("results.DiffLocks =\n%+v\nwant\n%+v", got, tc.want)
			}
			if !reflect.DeepEqual(b, tc.b) {
				t.Errorf("results.DiffLocks changed its input")
			}
		})
	}
}

// TestCellLocks: the runs' figures are summed by lock use, histograms only
// over the runs that kept them, most waited-on first; the wait per run is
// over every run of the cell, those without the lock use too.
func TestCellLocks(t *testing.T) {
	c := &results.Cell{Runs: []results.Run{
		{Locks: []results.LockStat{
			{Lock: "i_rwsem", Site: "write", Mode: "exclusive", Acquisitions: 10, Contended: 2, WaitNs: 100, HoldNs: 50, WaitHist: []int64{8, 0, 2}, HoldHist: []int64{0, 10}},
			{Lock: "page_lock", Site: "fault", Mode: "exclusive", Acquisitions: 4, WaitNs: 0},
		}},
		{Locks: []results.LockStat{
			{Lock: "i_rwsem", Site: "write", Mode: "exclusive", Acquisitions: 6, Contended: 1, WaitNs: 500, HoldNs: 30},
		}},
		{},
	}}
	got := results.CellLocks(c)
	want := []results.LockUse{
		{LockStat: results.LockStat{Lock: "i_rwsem", Site: "write", Mode: "exclusive", Acquisitions: 16, Contended: 3, WaitNs: 600, HoldNs: 80,
			WaitHist: []int64{8, 0, 2}, HoldHist: []int64{0, 10}}, Runs: 3, Hist: true, HistAcquisitions: 10},
		{LockStat: results.LockStat{Lock: "page_lock", Site: "fault", Mode: "exclusive", Acquisitions: 4}, Runs: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CellLocks =\n%+v\nwant\n%+v", got, want)
	}
	if w := got[0].WaitPerRun(); w != 200 {
		t.Errorf("WaitPerRun = %v, want 200", w)
	}
	if c.Runs[0].Locks[0].WaitHist[0] != 8 {
		t.Errorf("CellLocks changed the runs' histograms")
	}
	if results.CellLocks(&results.Cell{Runs: []results.Run{{}}}) != nil {
		t.Errorf("CellLocks of runs without locks is not nil")
	}
}
