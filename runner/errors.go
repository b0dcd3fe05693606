package runner

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// firstError is the first failure any worker met in the window, with its job.
func firstError(workers []*worker) string {
	for _, w := range workers {
		if w.firstErr != nil {
			return w.key + ": " + w.firstErr.Error()
		}
	}
	return ""
}

// markStalled flags the jobs that completed no operation in the window.
func markStalled(run *results.Run) {
	for k, s := range run.Ops {
		if s.Count == 0 && s.Errors == 0 {
			s.Stalled = true
			run.Ops[k] = s
		}
	}
}

// logErrors tells the log of a run's failed operations and stalled jobs: one
// line with the count per job and the first failure.
func logErrors(log io.Writer, cl *cell, rep int, run *results.Run) {
	if run == nil {
		return
	}
	var failed, stalled []string
	for _, k := range slices.Sorted(maps.Keys(run.Ops)) {
		s := run.Ops[k]
		if s.Errors > 0 {
			failed = append(failed, fmt.Sprintf("%d %s", s.Errors, k))
		}
		if s.Stalled {
			stalled = append(stalled, k)
		}
	}
	where := fmt.Sprintf("%s rep %d", cl.strategy, rep+1)
	if p := results.ParamsString(cl.res.Params); p != "" {
		where += " " + p
	}
	if len(failed) > 0 {
		fmt.Fprintf(log, "rwbench: %s: failed operations: %s; first: %s\n", where, strings.Join(failed, ", "), run.FirstError)
	}
	if len(stalled) > 0 {
		fmt.Fprintf(log, "rwbench: %s: stalled (no operation completed in the window): %s\n", where, strings.Join(stalled, ", "))
	}
	if len(run.Fsck.IOErrors) > 0 {
		fmt.Fprintf(log, "rwbench: %s: the after-run check met I/O errors; first: %s\n", where, run.Fsck.IOErrors[0])
	}
}
