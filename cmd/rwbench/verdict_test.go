package main

import (
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestRunProblems: a completed run still fails when operations failed (unless
// expected) or when every job of a cell stalled in a run.
func TestRunProblems(t *testing.T) {
	file := func(runs ...map[string]results.OpStats) *results.File {
		c := results.Cell{Strategy: "none"}
		for i, ops := range runs {
			c.Runs = append(c.Runs, results.Run{Rep: i, Ops: ops, Fsck: results.Fsck{Ok: true}})
		}
		return &results.File{Results: []results.Cell{c}}
	}
	ok := results.OpStats{Count: 10}
	stalled := results.OpStats{Stalled: true}
	failed := results.OpStats{Count: 10, Errors: 3}
	for _, tc := range []struct {
		name   string
		f      *results.File
		expect bool
		want   string
	}{
		{"clean", file(map[string]results.OpStats{"read": ok}), false, ""},
		{"one job stalled", file(map[string]results.OpStats{"read": ok, "punch": stalled}), false, ""},
		{"every job stalled", file(map[string]results.OpStats{"read": ok}, map[string]results.OpStats{"read": stalled, "punch": stalled}),
			false, "none rep 2: every job stalled"},
		{"failed ops", file(map[string]results.OpStats{"read": failed}), false, "3 operations failed"},
		{"failed ops expected", file(map[string]results.OpStats{"read": failed}), true, ""},
	} {
		err := runProblems(tc.f, tc.expect)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
