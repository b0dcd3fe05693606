package compare

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// Formats are the formats Report.Write knows.
func Formats() []string { return []string{"text", "markdown", "json"} }

// Write writes r to w as "text", "markdown" or "json". exit is the command's
// exit code for r.Outcome: the text and Markdown verdict lines name it, so that
// a CI log says what the step's status means (JSON has the outcome).
func (r *Report) Write(w io.Writer, format string, exit int) error {
	switch format {
	case "text", "":
		return r.writeText(w, false, exit)
	case "markdown", "md":
		return r.writeText(w, true, exit)
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return fmt.Errorf("compare: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// formatValue formats a value of metric name in its unit.
func formatValue(name string, v float64) string {
	m, _ := metricByName(name)
	switch {
	case m.latency:
		return units.Ns(v)
	case name == "bytes_per_sec":
		return strconv.FormatFloat(v/1e6, 'f', 1, 64)
	}
	return units.SI(v)
}

func pct(x float64) string {
	return strconv.FormatFloat(100*x, 'f', -1, 64) + "%"
}

func label(name string) string {
	m, _ := metricByName(name)
	return m.label
}

func (r *Report) heading(name string) string {
	m, _ := metricByName(name)
	dir := "lower is better"
	if m.higher {
		dir = "higher is better"
	}
	return m.label + " (" + dir + ")"
}

func describe(fi FileInfo) string {
	parts := []string{fi.Label + ":"}
	var about []string
	if fi.Name != "" {
		about = append(about, fi.Name)
	}
	if fi.RWBench != "" {
		about = append(about, "rwbench "+fi.RWBench)
	}
	if fi.Started != "" {
		about = append(about, "started "+fi.Started)
	}
	if len(about) > 0 {
		parts = append(parts, strings.Join(about, ", "))
	}
	return strings.Join(parts, " ")
}

// writeText writes the text or Markdown form: the two files, the answer and
// what it rests on (regressions, improvements, what could not be seen), the
// warnings, one table per metric (regressions first), the added and removed
// cells, and a last line repeating the answer.
func (r *Report) writeText(w io.Writer, md bool, exit int) error {
	var b strings.Builder
	esc := func(s string) string { return s }
	if md {
		esc = func(s string) string { return strings.NewReplacer("|", `\|`, "<", "&lt;", "\n", " ").Replace(s) }
		b.WriteString("### rwbench compare: " + string(r.Outcome) + "\n\n")
	}
	line := func(s string) {
		if md {
			b.WriteString(esc(s) + "  \n")
		} else {
			b.WriteString(s + "\n")
		}
	}
	item := func(s string) {
		if md {
			b.WriteString("- " + esc(s) + "\n")
		} else {
			b.WriteString("  " + s + "\n")
		}
	}
	line(describe(r.Old))
	line(describe(r.New))
	if r.Old.Machine == r.New.Machine {
		line("machine: " + r.Old.Machine)
	} else {
		line("old machine: " + r.Old.Machine)
		line("new machine: " + r.New.Machine)
	}
	b.WriteByte('\n')
	r.writeSummary(&b, line, item, exit)
	for _, warn := range r.Warnings {
		if md {
			b.WriteString("\n> **Warning:** " + esc(warn) + "\n")
		} else {
			b.WriteString("warning: " + warn + "\n")
		}
	}

	var notes []string
	mark := func(text string) string {
		for i, t := range notes {
			if t == text {
				return superscript(i + 1)
			}
		}
		notes = append(notes, text)
		return superscript(len(notes))
	}
	side := func(metric string, e results.Estimate) string {
		s := formatValue(metric, e.Median) + " ± " + report.FormatCI(e)
		if e.Unbounded && len(e.Warnings) > 0 {
			s += " " + mark(e.Warnings[0])
		}
		return s
	}
	header := []string{"cell", "op", "old", "new", "delta", "p", "n", "detectable", "verdict"}
	for _, metric := range r.Metrics {
		var sel []Row
		for _, row := range r.Rows {
			if row.Metric == metric {
				sel = append(sel, row)
			}
		}
		if len(sel) == 0 {
			continue
		}
		slices.SortStableFunc(sel, func(x, y Row) int { return verdictRank(x.Verdict) - verdictRank(y.Verdict) })
		var rows [][]string
		for _, row := range sel {
			verdict := row.Verdict
			if md && verdict == Regression {
				verdict = "**" + verdict + "**"
			}
			rows = append(rows, []string{row.Cell, row.Op,
				side(metric, row.Old), side(metric, row.New),
				deltaString(row.DeltaPct), strconv.FormatFloat(row.P, 'f', 3, 64),
				strconv.Itoa(row.Old.N) + "+" + strconv.Itoa(row.New.N), detectableString(row), verdict})
		}
		b.WriteByte('\n')
		if md {
			b.WriteString("<details><summary>" + esc(r.heading(metric)) + ": " + strconv.Itoa(len(rows)) + " rows</summary>\n\n")
			b.WriteString("| " + strings.Join(header, " | ") + " |\n")
			b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|\n")
			for _, row := range rows {
				for i := range row {
					if i != len(row)-1 { // the verdict may carry markup
						row[i] = esc(row[i])
					}
				}
				b.WriteString("| " + strings.Join(row, " | ") + " |\n")
			}
			b.WriteString("\n</details>\n")
		} else {
			b.WriteString(r.heading(metric) + "\n")
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, strings.Join(header, "\t"))
			for _, row := range rows {
				fmt.Fprintln(tw, strings.Join(row, "\t"))
			}
			tw.Flush()
		}
	}
	b.WriteByte('\n')
	line("detectable: the smallest worsening the U test would have found significant with these runs at their noise; " +
		"runs: those per side at which a change of " + pct(r.Threshold) + " would typically be significant")
	for i, n := range notes {
		line(superscript(i+1) + " " + n)
	}
	if len(r.Added)+len(r.Removed)+len(r.Ignored) > 0 {
		b.WriteByte('\n')
		for _, a := range r.Ignored {
			line("ignored config difference: " + a)
		}
		for _, a := range r.Added {
			line("added (new only): " + a)
		}
		for _, a := range r.Removed {
			line("removed (old only): " + a)
		}
	}
	b.WriteByte('\n')
	line(r.verdictLine(exit))
	_, err := io.WriteString(w, b.String())
	return err
}

// verdictLine is the one-line answer with its exit code.
func (r *Report) verdictLine(exit int) string {
	crit := "alpha " + strconv.FormatFloat(r.Alpha, 'f', -1, 64) + " over " + strconv.Itoa(len(r.Rows)) + " comparisons, threshold " + pct(r.Threshold)
	switch r.Outcome {
	case OutcomeRegression:
		return fmt.Sprintf("FAIL: %d %s (%s; exit %d)", len(r.Regressions()), plural(len(r.Regressions()), "regression"), crit, exit)
	case OutcomeNone:
		return fmt.Sprintf("ok: no regression detected (%s; exit %d)", crit, exit)
	}
	return fmt.Sprintf("INCONCLUSIVE: no regression found, but the runs could not have shown one (%s; exit %d)", crit, exit)
}

// writeSummary writes the answer and what it rests on: the regressions, the
// improvements, and why the comparison is inconclusive, with the runs needed.
func (r *Report) writeSummary(b *strings.Builder, line, item func(string), exit int) {
	line(r.verdictLine(exit))
	for _, v := range []string{Regression, Improvement} {
		rows := r.rowsWith(v)
		if len(rows) == 0 {
			continue
		}
		line(fmt.Sprintf("%d %s:", len(rows), plural(len(rows), v)))
		for _, row := range rows {
			item(fmt.Sprintf("%s op=%s: %s %s (p=%.3f)", row.Cell, row.Op, label(row.Metric), deltaString(row.DeltaPct), row.P))
		}
	}
	if r.Outcome == OutcomeRegression || len(r.Reasons) == 0 {
		return
	}
	line("not conclusive because:")
	for _, why := range r.Reasons {
		item(why)
	}
	const show = 5
	rows := r.rowsWith(Inconclusive)
	slices.SortStableFunc(rows, func(x, y Row) int { return cmpDetectable(y, x) })
	for i, row := range rows {
		if i == show {
			item(fmt.Sprintf("... and %d more in the tables", len(rows)-show))
			break
		}
		item(fmt.Sprintf("%s op=%s %s: detectable %s with %d+%d runs; %s", row.Cell, row.Op, label(row.Metric),
			detectableString(row), row.Old.N, row.New.N, runsAdvice(row, r.Threshold)))
	}
}

// cmpDetectable orders rows by their detectable change, +Inf (nil) largest.
func cmpDetectable(x, y Row) int {
	dx, dy := math.Inf(1), math.Inf(1)
	if x.DetectablePct != nil {
		dx = *x.DetectablePct
	}
	if y.DetectablePct != nil {
		dy = *y.DetectablePct
	}
	return cmp.Compare(dx, dy)
}

// runsAdvice says how many runs a side a change of threshold needs.
func runsAdvice(row Row, threshold float64) string {
	if row.RunsNeeded == 0 {
		return "more than " + strconv.Itoa(maxRuns) + " runs per side would be needed for " + pct(threshold) + " at this noise"
	}
	return "about " + strconv.Itoa(row.RunsNeeded) + " runs per side would show " + pct(threshold)
}

// detectableString shows a row's detectable change: "12%", "<0.1%", "∞".
func detectableString(row Row) string {
	if row.DetectablePct == nil {
		return "∞"
	}
	d := *row.DetectablePct
	var s string
	switch {
	case d < 0.1:
		return "<0.1%"
	case d < 10:
		s = strconv.FormatFloat(d, 'f', 1, 64) + "%"
	default:
		s = strconv.FormatFloat(d, 'f', 0, 64) + "%"
	}
	if row.RunsNeeded > 0 && row.Verdict == Inconclusive {
		s += " (" + strconv.Itoa(row.RunsNeeded) + " runs)"
	}
	return s
}

// deltaString shows a relative change: "+1.50%", "-20.46%", "?".
func deltaString(d *float64) string {
	if d == nil {
		return "?"
	}
	s := strconv.FormatFloat(*d, 'f', 2, 64) + "%"
	if *d >= 0 {
		s = "+" + s
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// superscript is the footnote marker for note n (1-based): ¹, ², ... ¹⁰.
func superscript(n int) string {
	digits := []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")
	var b strings.Builder
	for _, c := range strconv.Itoa(n) {
		b.WriteRune(digits[c-'0'])
	}
	return b.String()
}
