package ktrace

import (
	"bufio"
	"fmt"
	"io"

	"github.com/rwbench/rwbench/results"
)

// Report is what a trace says in the results file's terms.
type Report struct {
	// Locks are the traced process's lock contentions per lock class, model
	// site and mode (see lockStats): Contended, WaitNs and WaitHist;
	// Acquisitions, HoldNs and HoldHist are 0, as the kernel traces only
	// acquisitions that wait.
	Locks []results.LockStat
	// DirtyPauses are the process's writers' sleeps in balance_dirty_pages;
	// nil when none slept (or the tracepoint was unavailable: see Unavailable).
	DirtyPauses *results.Pauses
	// Unavailable has one line per part that could not be traced, and why.
	Unavailable []string
}

// Parse reads trace text as tracefs prints it with the record-tgid option
// (the trace or trace_pipe file, with the contention_begin stacks of the
// stacktrace trigger) and reports the lines of the threads of tgid (all lines
// when tgid is 0).
func Parse(r io.Reader, tgid int) (Report, error) {
	c := newCollector(tgid)
	if err := c.read(r); err != nil {
		return Report{}, err
	}
	return c.report(), nil
}

// read adds every line of r.
func (c *collector) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		c.add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the trace: %w", err)
	}
	return nil
}

// report ends the collection (finish) and sums it up.
func (c *collector) report() Report {
	r := Report{Locks: lockStats(c.finish()), DirtyPauses: results.PausesOf(c.pauses)}
	if c.bad > 0 {
		r.Unavailable = append(r.Unavailable, fmt.Sprintf("%d trace lines did not parse and were left out (the first: %s)", c.bad, c.firstBad))
	}
	if c.open > 0 {
		r.Unavailable = append(r.Unavailable, fmt.Sprintf("%d waits had not ended when tracing stopped: counted up to the last event", c.open))
	}
	if c.noTGID > 0 {
		r.Unavailable = append(r.Unavailable, fmt.Sprintf("%d events without the process id of their thread (the kernel's saved_tgids map was full) were left out", c.noTGID))
	}
	return r
}
