package report

import (
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestFsckOf: a check that did not run (the run was interrupted) is not a
// failed check, and one that met only I/O errors says so.
func TestFsckOf(t *testing.T) {
	ok := results.Fsck{Ok: true}
	notRun := results.Fsck{NotRun: true}
	found := results.Fsck{Errors: []string{"block 7 mapped twice"}}
	io := results.Fsck{IOErrors: []string{"file 0 offset 0: EIO"}}
	for _, tc := range []struct {
		runs []results.Fsck
		want string
	}{
		{nil, "-"},
		{[]results.Fsck{ok, ok}, "ok"},
		{[]results.Fsck{notRun}, "1/1 not run"},
		{[]results.Fsck{ok, notRun}, "1/2 not run"},
		{[]results.Fsck{found, io, notRun}, "1/3 failed, 1/3 I/O errors, 1/3 not run"},
	} {
		c := &results.Cell{}
		for _, f := range tc.runs {
			c.Runs = append(c.Runs, results.Run{Fsck: f})
		}
		if got := fsckOf(c); got != tc.want {
			t.Errorf("fsckOf(%+v) = %q, want %q", tc.runs, got, tc.want)
		}
	}
}

// TestErrorsColumn: the main table has an errors column only when some op
// failed or stalled, with the failures summed and the stalled runs counted.
func TestErrorsColumn(t *testing.T) {
	c := results.Cell{Strategy: "none", Runs: []results.Run{
		{Ops: map[string]results.OpStats{"read": {Count: 5, Errors: 3}, "write": {Stalled: true}}},
		{Ops: map[string]results.OpStats{"read": {Count: 5, Errors: 4}, "write": {Count: 1}}},
	}}
	if got := errorsOf(&c, "read"); got != "7" {
		t.Errorf("read: %q", got)
	}
	if got := errorsOf(&c, "write"); got != "0, stalled 1/2" {
		t.Errorf("write: %q", got)
	}
	col := func(f *results.File) bool {
		var n notes
		t := mainTable([]*results.File{f}, []string{"x"}, &n)
		for _, h := range t.header {
			if h == "errors" {
				return true
			}
		}
		return false
	}
	f := &results.File{Results: []results.Cell{c}}
	results.Summarize(&f.Results[0], 0.95)
	if !col(f) {
		t.Error("no errors column for a cell with errors")
	}
	clean := &results.File{Results: []results.Cell{{Strategy: "none", Runs: []results.Run{{Ops: map[string]results.OpStats{"read": {Count: 5}}}}}}}
	results.Summarize(&clean.Results[0], 0.95)
	if col(clean) {
		t.Error("an errors column for a cell without errors")
	}
}
