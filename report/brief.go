package report

import (
	"io"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// WriteBrief writes the short report `rwbench run` prints by default, made to
// fit a terminal: the file and the machine, one row per cell with each job's
// median ops/s, the oracle's findings and the after-run check, then the answer
// (AnswerOf), last, where a terminal leaves it in view. The lock, memory and
// calibration tables are in the full report (Write; run -v).
func WriteBrief(w io.Writer, f *results.File) error {
	var b strings.Builder
	b.WriteString(fileLine(f, configNames([]*results.File{f})[0]) + "\n")
	b.WriteString("machine " + machine.Header(f.Machine) + "\n")
	for _, l := range conditionLines(f) {
		b.WriteString(l + "\n")
	}
	b.WriteByte('\n')
	briefTable(f).text(&b)
	b.WriteString("\nops/s: medians over the runs; ! a job that stalled (see below); every figure: rwbench report FILE\n\n")
	for _, l := range AnswerOf(f).Lines {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// briefTable is one row per cell: each job's median ops/s (a job absent from a
// cell shows "-"), the oracle's stale and foreign pages, and fsck.
func briefTable(f *results.File) *table {
	opOf := map[string]string{}
	var keys []string
	for ci := range f.Results {
		c := &f.Results[ci]
		for _, k := range results.CellOps(c) {
			if _, ok := opOf[k]; !ok {
				keys = append(keys, k)
			}
			for i := range c.Runs {
				if s, ok := c.Runs[i].Ops[k]; ok {
					opOf[k] = results.OpOf(k, s)
				}
			}
		}
	}
	results.SortKeys(keys, opOf)
	t := &table{header: []string{"strategy", "params", "runs"}, right: []bool{false, false, true}}
	for _, k := range keys {
		t.header = append(t.header, k)
		t.right = append(t.right, true)
	}
	t.header = append(t.header, "stale", "foreign", "torn", "fsck")
	t.right = append(t.right, true, true, true, false)
	asked := Asked(f)
	for ci := range f.Results {
		c := &f.Results[ci]
		stalled := stalledJobs(c, asked[results.Key(c)])
		row := []string{c.Strategy, paramsOrDash(c.Params), strconv.Itoa(len(c.Runs))}
		for _, k := range keys {
			s, ok := c.Summary.Ops[k]
			if !ok || s.OpsPerSec.N == 0 {
				s = results.SummaryOf(c, k)
			}
			v := "-"
			if s.OpsPerSec.N > 0 {
				v = units.SI(s.OpsPerSec.Median)
			}
			if _, bad := stalled[k]; bad {
				v = "!" + v
			}
			row = append(row, v)
		}
		var stale, foreign, torn int64
		for i := range c.Runs {
			stale += c.Runs[i].Verify.Stale
			foreign += c.Runs[i].Verify.Foreign
			torn += c.Runs[i].Verify.Torn
		}
		tornS := strconv.FormatInt(torn, 10)
		if torn > 0 && !c.TornIsFinding() {
			tornS += " (not a finding)"
		}
		row = append(row, strconv.FormatInt(stale, 10), strconv.FormatInt(foreign, 10), tornS, fsckOf(c))
		t.add(row...)
	}
	return t
}
