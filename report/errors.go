package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// errorsOf is the failed operations of an op over a cell's runs, and how many
// of the runs it stalled in (completed nothing): "0", "3844", "0, stalled 2/3".
func errorsOf(c *results.Cell, op string) string {
	var n int64
	stalled := 0
	for i := range c.Runs {
		s := c.Runs[i].Ops[op]
		n += s.Errors
		if s.Stalled {
			stalled++
		}
	}
	out := strconv.FormatInt(n, 10)
	if stalled > 0 {
		out += fmt.Sprintf(", stalled %d/%d", stalled, len(c.Runs))
	}
	return out
}

// fsckOf is "ok" when every run's check passed; otherwise how many runs'
// checks found wrong data ("failed"), met only I/O errors, or did not run
// (the run was interrupted first): "1/3 failed, 1/3 not run".
func fsckOf(c *results.Cell) string {
	if len(c.Runs) == 0 {
		return "-"
	}
	var failed, io, notRun int
	for i := range c.Runs {
		switch f := &c.Runs[i].Fsck; {
		case f.NotRun:
			notRun++
		case f.Ok:
		case len(f.Errors) == 0 && len(f.IOErrors) > 0:
			io++
		default:
			failed++
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{failed, "failed"}, {io, "I/O errors"}, {notRun, "not run"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d/%d %s", p.n, len(c.Runs), p.what))
		}
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}

// dropIfZero removes column col from t when every row has "0" there: a
// column of errors is noise in a table of runs that had none.
func dropIfZero(t *table, col int) {
	if slices.ContainsFunc(t.rows, func(r []string) bool { return r[col] != "0" }) {
		return
	}
	t.header = slices.Delete(t.header, col, col+1)
	t.right = slices.Delete(t.right, col, col+1)
	for i := range t.rows {
		t.rows[i] = slices.Delete(t.rows[i], col, col+1)
	}
}
