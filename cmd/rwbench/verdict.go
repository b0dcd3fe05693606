package main

import (
	"fmt"

	"github.com/rwbench/rwbench/results"
)

// runProblems is why a run that completed is still a failed run: operations
// or the check's reads failed (unless the config expects errors), or every job
// of a cell stalled in some run. nil when neither.
func runProblems(res *results.File, expectErrors bool) error {
	var failed int64
	first := ""
	for ci := range res.Results {
		c := &res.Results[ci]
		for ri := range c.Runs {
			r := &c.Runs[ri]
			stalled := len(r.Ops) > 0
			for _, s := range r.Ops {
				failed += s.Errors
				stalled = stalled && s.Stalled
			}
			failed += int64(len(r.Fsck.IOErrors))
			if first == "" && r.FirstError != "" {
				first = c.Strategy + ": " + r.FirstError
			}
			if first == "" && len(r.Fsck.IOErrors) > 0 {
				first = c.Strategy + ": check: " + r.Fsck.IOErrors[0]
			}
			if stalled {
				where := c.Strategy
				if p := results.ParamsString(c.Params); p != "" {
					where += " " + p
				}
				return fmt.Errorf("%s rep %d: every job stalled (no operation completed in the window): lower the threads, raise warmup, or check the store",
					where, r.Rep+1)
			}
		}
	}
	if failed > 0 && !expectErrors {
		return fmt.Errorf("%d operations failed (first: %s); the run failed (set expect_errors: true when errors are what the run is about)", failed, first)
	}
	return nil
}
