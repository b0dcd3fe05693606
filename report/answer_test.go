package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// answerFile is a file of three cells: none with stale data (expected),
// invalidate with a stale page, a failed fsck and a validator finding, and
// irwsem whose paced punch job stalled.
func answerFile() *results.File {
	run := func(read, punch int64, stale int64, fsckOK bool, violations ...string) results.Run {
		return results.Run{DurationNs: 2e9,
			Ops: map[string]results.OpStats{
				"read":  {Count: read, OpsPerSec: float64(read) / 2},
				"punch": {Count: punch, OpsPerSec: float64(punch) / 2},
			},
			Verify:     results.Verify{Stale: stale, ByOp: map[string]results.Findings{"read": {Stale: stale}}},
			Fsck:       results.Fsck{Ok: fsckOK},
			Violations: violations,
		}
	}
	cfg, _ := json.Marshal(map[string]any{"name": "t", "strategies": []string{"none", "invalidate", "irwsem"},
		"jobs": []map[string]any{{"op": "read", "threads": 2}, {"op": "punch", "threads": 1, "rate": 20}}})
	return &results.File{Schema: results.Schema, Name: "t", Config: cfg, Results: []results.Cell{
		{Strategy: "none", Target: "model", Runs: []results.Run{run(1000, 40, 3, true), run(1100, 40, 0, true)}},
		{Strategy: "invalidate", Target: "model", Runs: []results.Run{run(800, 40, 1, false, "lock order\nstack"), run(900, 40, 0, true)}},
		{Strategy: "irwsem", Target: "model", Runs: []results.Run{run(600, 0, 0, true), run(700, 10, 0, true)}},
	}}
}

func TestAnswer(t *testing.T) {
	a := AnswerOf(answerFile())
	if !slices.Equal(a.Findings, []string{"invalidate"}) {
		t.Errorf("findings %q, want invalidate only (none may find stale data)", a.Findings)
	}
	if !slices.Equal(a.Fsck, []string{"invalidate (1 of 2 runs)"}) || !slices.Equal(a.Validator, []string{"invalidate"}) {
		t.Errorf("fsck %q, validator %q", a.Fsck, a.Validator)
	}
	// 0 ops in one run, 5/s of 20/s in the other: both stalled.
	if want := []string{"irwsem punch: 0 ops in 1, at most 5.00/s of 20.0/s asked in 1 of 2 runs"}; !slices.Equal(a.Stalled, want) {
		t.Errorf("stalled %q, want %q", a.Stalled, want)
	}
	text := strings.Join(a.Lines, "\n")
	for _, want := range []string{
		"none: stale data, as expected of it: 3 stale, 0 foreign (read 3)",
		"invalidate: STALE DATA under a strategy that must be clean",
		"irwsem: clean",
		"fsck: FAILED in invalidate (1 of 2 runs)",
		"STALLED: punch completed under half the 20.0/s it asks (no op at all in 1) in runs of irwsem 2/2",
		"read: fastest none 525 ops/s, slowest irwsem 325 ops/s",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
}

func TestAsked(t *testing.T) {
	got := Asked(answerFile())
	if got["strategy=irwsem"]["punch"] != 20 || got["strategy=none"]["read"] != 0 {
		t.Errorf("Asked = %v", got)
	}
}

func TestWriteBrief(t *testing.T) {
	var b strings.Builder
	if err := WriteBrief(&b, answerFile()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) >= 40 {
		t.Errorf("%d lines, want under 40:\n%s", len(lines), out)
	}
	if strings.Contains(out, "punch (paced)") {
		t.Errorf("a paced job without latencies has a latency line:\n%s", out)
	}
	if !strings.Contains(out, "!2.50") {
		t.Errorf("the stalled punch is not flagged in the table:\n%s", out)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "read: fastest") {
		t.Errorf("the report does not end with its answer: %q", last)
	}
}

// TestAnswerFsckOfNone: a failed fsck under none is reported but is not a
// problem to gate on: losing a write is the race none models.
func TestAnswerFsckOfNone(t *testing.T) {
	f := answerFile()
	f.Results[0].Runs[1].Fsck.Ok = false
	a := AnswerOf(f)
	if slices.ContainsFunc(a.Fsck, func(s string) bool { return strings.HasPrefix(s, "none") }) {
		t.Errorf("fsck problems %q include none", a.Fsck)
	}
	if !strings.Contains(strings.Join(a.Lines, "\n"), "fsck: failed in none (1 of 2 runs), as the race it models may do") {
		t.Errorf("answer:\n%s", strings.Join(a.Lines, "\n"))
	}
}

// TestAnswerTorn: a torn read is a finding of the model, not of the host
// kernel, whose buffered read is not atomic against a write; the kernel's is
// still reported, and the kernel is not called clean.
func TestAnswerTorn(t *testing.T) {
	f := answerFile()
	f.Results[2].Runs[0].Verify.Torn = 2 // irwsem, the model
	f.Results = append(f.Results, results.Cell{Strategy: "kernel", Target: "kernel", Runs: []results.Run{
		{Ops: map[string]results.OpStats{"read": {Count: 10, OpsPerSec: 5}},
			Verify: results.Verify{Torn: 3, ByOp: map[string]results.Findings{"read": {Torn: 3}}}, Fsck: results.Fsck{Ok: true}}}})
	a := AnswerOf(f)
	if !slices.Contains(a.Findings, "irwsem") || slices.Contains(a.Findings, "kernel") {
		t.Errorf("findings %q: want irwsem's torn reads, not the kernel's", a.Findings)
	}
	text := strings.Join(a.Lines, "\n")
	want := "kernel: no stale or foreign data; 3 torn (read 3), not a finding"
	if !strings.Contains(text, want) || strings.Contains(text, "kernel: clean") {
		t.Errorf("answer lacks %q, or calls the kernel clean:\n%s", want, text)
	}
}

// TestAnswerRealKernelMustBeClean: stale data from a real kernel's target is a
// finding, not the race none models.
func TestAnswerRealKernelMustBeClean(t *testing.T) {
	f := answerFile()
	f.Results = append(f.Results, results.Cell{Strategy: "xfs", Target: "realfs", Runs: []results.Run{
		{Ops: map[string]results.OpStats{"read": {Count: 10, OpsPerSec: 5}}, Verify: results.Verify{Stale: 1}, Fsck: results.Fsck{Ok: true}}}})
	a := AnswerOf(f)
	if !slices.Contains(a.Findings, "xfs") {
		t.Errorf("findings %q lack xfs", a.Findings)
	}
	if !strings.Contains(strings.Join(a.Lines, "\n"), "xfs: STALE DATA under a strategy that must be clean") {
		t.Errorf("answer:\n%s", strings.Join(a.Lines, "\n"))
	}
}
