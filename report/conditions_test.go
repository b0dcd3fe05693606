package report

import (
	"slices"
	"strings"
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

// The text and Markdown reports carry the conditions in the file's header.
func TestConditionsInHeader(t *testing.T) {
	for _, format := range []string{"text", "markdown"} {
		f, err := results.Read("testdata/punch-vs-fill.json")
		if err != nil {
			t.Fatal(err)
		}
		c := &f.Results[0]
		c.Strategy, c.Target = "xfs", "realfs"
		for i := range c.Runs {
			c.Runs[i].Conditions = []string{"vm.dirty_bytes=100 (was vm.dirty_ratio=20)"}
		}
		var b strings.Builder
		if err := Write(&b, format, f); err != nil {
			t.Fatal(err)
		}
		head, _, found := strings.Cut(b.String(), "\n\n"+map[string]string{"text": "config", "markdown": "|"}[format])
		if !found {
			t.Fatalf("%s: no main table after the header:\n%s", format, b.String())
		}
		if !strings.Contains(head, "conditions xfs") || !strings.Contains(head, "vm.dirty_bytes=100 (was vm.dirty_ratio=20)") {
			t.Errorf("%s: the header lacks the conditions:\n%s", format, head)
		}
	}
}
