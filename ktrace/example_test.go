package ktrace_test

import (
	"fmt"
	"os"

	"github.com/rwbench/rwbench/ktrace"
	"github.com/rwbench/rwbench/results"
)

// A real-filesystem run traces its own threads over the measurement window
// and puts the report into the run's results.
func Example() {
	var run results.Run
	s, err := ktrace.Start(ktrace.Options{TGID: os.Getpid()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // Start could not undo its setup
		return
	}
	// ... the measurement window: the workers run the ops ...
	r, err := s.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // the instance or mount could not be removed
	}
	run.Locks = append(run.Locks, r.Locks...)
	run.DirtyPauses = r.DirtyPauses
	for _, why := range r.Unavailable {
		fmt.Fprintln(os.Stderr, "ktrace:", why)
	}
}
