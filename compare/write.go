package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/results"
)

// Formats are the formats Report.Write knows.
func Formats() []string { return []string{"text", "markdown", "json"} }

// Write writes r to w as "text", "markdown" or "json".
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "text", "":
		return r.writeText(w, false)
	case "markdown", "md":
		return r.writeText(w, true)
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
		return report.FormatNs(v)
	case name == "bytes_per_sec":
		return strconv.FormatFloat(v/1e6, 'f', 1, 64)
	}
	return report.FormatSI(v)
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

// writeText writes the text or Markdown form: the two files, the warnings, one
// table per metric, the added and removed cells, and a last line with the outcome.
func (r *Report) writeText(w io.Writer, md bool) error {
	var b strings.Builder
	esc := func(s string) string { return s }
	if md {
		esc = func(s string) string { return strings.NewReplacer("|", `\|`, "<", "&lt;", "\n", " ").Replace(s) }
		b.WriteString("### rwbench compare\n\n")
	}
	line := func(s string) {
		if md {
			b.WriteString(esc(s) + "  \n")
		} else {
			b.WriteString(s + "\n")
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
	header := []string{"cell", "op", "old", "new", "delta", "p", "n", "verdict"}
	for _, metric := range r.Metrics {
		var rows [][]string
		for _, row := range r.Rows {
			if row.Metric != metric {
				continue
			}
			delta := "?"
			if row.DeltaPct != nil {
				delta = strconv.FormatFloat(*row.DeltaPct, 'f', 2, 64) + "%"
				if *row.DeltaPct >= 0 {
					delta = "+" + delta
				}
			}
			verdict := row.Verdict
			if md && verdict == Regression {
				verdict = "**" + verdict + "**"
			}
			rows = append(rows, []string{row.Cell, row.Op,
				side(metric, row.Old), side(metric, row.New),
				delta, strconv.FormatFloat(row.P, 'f', 3, 64),
				strconv.Itoa(row.Old.N) + "+" + strconv.Itoa(row.New.N), verdict})
		}
		if len(rows) == 0 {
			continue
		}
		b.WriteByte('\n')
		if md {
			b.WriteString("#### " + esc(r.heading(metric)) + "\n\n")
			b.WriteString("| " + strings.Join(header, " | ") + " |\n")
			b.WriteString("|---|---|---:|---:|---:|---:|---:|---|\n")
			for _, row := range rows {
				for i := range row {
					if i != len(row)-1 { // the verdict may carry markup
						row[i] = esc(row[i])
					}
				}
				b.WriteString("| " + strings.Join(row, " | ") + " |\n")
			}
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
	if len(notes) > 0 {
		b.WriteByte('\n')
		for i, n := range notes {
			line(superscript(i+1) + " " + n)
		}
	}
	if len(r.Added)+len(r.Removed) > 0 {
		b.WriteByte('\n')
		for _, a := range r.Added {
			line("added (new only): " + a)
		}
		for _, a := range r.Removed {
			line("removed (old only): " + a)
		}
	}

	b.WriteByte('\n')
	crit := "alpha " + strconv.FormatFloat(r.Alpha, 'f', -1, 64) + ", threshold " + pct(r.Threshold)
	regs := r.Regressions()
	if len(regs) == 0 {
		line("ok: no regression (" + crit + ")")
	} else {
		noun := "regressions"
		if len(regs) == 1 {
			noun = "regression"
		}
		line(fmt.Sprintf("FAIL: %d %s (%s):", len(regs), noun, crit))
		for _, row := range regs {
			d := "?"
			if row.DeltaPct != nil {
				d = strconv.FormatFloat(*row.DeltaPct, 'f', 2, 64) + "%"
				if *row.DeltaPct >= 0 {
					d = "+" + d
				}
			}
			if md {
				b.WriteString("- " + esc(fmt.Sprintf("%s op=%s: %s %s", row.Cell, row.Op, label(row.Metric), d)) + "\n")
			} else {
				b.WriteString(fmt.Sprintf("  %s op=%s: %s %s\n", row.Cell, row.Op, label(row.Metric), d))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
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
