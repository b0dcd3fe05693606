package report

import (
	"slices"
	"testing"

	"github.com/rwbench/rwbench/results"
)

func TestConditionLines(t *testing.T) {
	run := func(conds ...string) results.Run { return results.Run{Conditions: conds} }
	f := &results.File{Results: []results.Cell{
		{Strategy: "irwsem", Runs: []results.Run{run(), run()}},
		{Strategy: "xfs", Params: map[string]string{"phase": "cold"}, Runs: []results.Run{
			run("xfs on a loop device", "vm.dirty_bytes=100 (was vm.dirty_ratio=20)", "memory.limit_in_bytes=300 (cache.size + 20)"),
			run("xfs on a loop device", "vm.dirty_bytes=100 (was vm.dirty_ratio=20)", "memory.limit_in_bytes=280 (cache.size + 0)", "could not: x"),
		}},
		{Strategy: "ext4", Runs: []results.Run{run("memory.max=5 (a)"), run("memory.max=5 (a)")}},
	}}
	want := []string{
		"conditions xfs phase=cold: xfs on a loop device; vm.dirty_bytes=100 (was vm.dirty_ratio=20); memory.limit_in_bytes=280–300 over the runs; could not: x",
		"conditions ext4: memory.max=5 (a)",
	}
	if got := conditionLines(f); !slices.Equal(got, want) {
		t.Errorf("conditionLines:\n got %q\nwant %q", got, want)
	}
}
