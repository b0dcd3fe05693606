package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rwbench/rwbench/runner"
)

// TestRunInterruptedBetweenRuns: a run whose context has ended starts no
// other run (no store is formatted, no prefill begins) and returns what it has,
// marked partial.
func TestRunInterruptedBetweenRuns(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	c := load(t, `name: between
backend: {kind: memory, size: 8MiB}
cache: {size: 1MiB}
files: {count: 1, size: 1MiB}
strategies: [none, invalidate]
duration: 1s
warmup: 0s
repeat: 2
jobs:
  - {op: read, threads: 1}
`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f, err := runner.Run(ctx, c, runner.Options{Version: "test"})
	if !errors.Is(err, context.Canceled) || f == nil || !f.Partial {
		t.Fatalf("Run = %+v, %v; want partial results and context.Canceled", f, err)
	}
	for _, cell := range f.Results {
		if len(cell.Runs) != 0 {
			t.Errorf("%s: %d runs after the interrupt", cell.Strategy, len(cell.Runs))
		}
	}
}
