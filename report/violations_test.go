package report

import (
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestViolationsSection: the lock validator's findings of a file's runs are
// listed after the tables, one line per distinct finding of a cell (its first
// line; the stacks stay in the results file), in text and Markdown.
func TestViolationsSection(t *testing.T) {
	inversion := "lock inversion: i_mmap_sem (shared) taken at fault while holding mmap_lock (shared) taken at fault closes the cycle\nedge ...\n\tstack"
	recursive := "recursive acquisition: i_mmap_sem (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry (the same lock)\nacquired here:\n\tstack"
	f := &results.File{Schema: results.Schema, Name: "naive", Results: []results.Cell{
		{Strategy: "invalidate", Runs: []results.Run{{Ops: map[string]results.OpStats{"read": {Count: 10}}}}},
		{Strategy: "naive", Runs: []results.Run{
			{Ops: map[string]results.OpStats{"read": {Count: 10}}, Violations: []string{inversion, recursive}},
			{Ops: map[string]results.OpStats{"read": {Count: 10}}, Violations: []string{inversion}},
			{Ops: map[string]results.OpStats{"read": {Count: 10}}},
		}},
	}}
	var b strings.Builder
	if err := Write(&b, "text", f); err != nil {
		t.Fatal(err)
	}
	want := "lock validator findings (the full reports, with stacks, are in the results file)\n" +
		"naive naive -: 2 distinct in 2 of 3 runs\n" +
		"  lock inversion: i_mmap_sem (shared) taken at fault while holding mmap_lock (shared) taken at fault closes the cycle\n" +
		"  recursive acquisition: i_mmap_sem (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry (the same lock)\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("text report ends:\n%s\nwant it to end:\n%s", b.String(), want)
	}
	if strings.Contains(b.String(), "invalidate -:") || strings.Contains(b.String(), "\tstack") {
		t.Errorf("a clean cell or a stack in the findings:\n%s", b.String())
	}
	b.Reset()
	if err := Write(&b, "markdown", f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#### Lock validator findings") || !strings.Contains(b.String(), "\n  - recursive acquisition:") {
		t.Errorf("markdown report:\n%s", b.String())
	}
	b.Reset()
	f.Results[1].Runs = f.Results[1].Runs[2:]
	if err := Write(&b, "text", f); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "lock validator") {
		t.Errorf("findings section without findings:\n%s", b.String())
	}
}
