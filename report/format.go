package report

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// fmtRatio formats a small ratio (acquisitions per op) with three significant
// digits and no exponent: "6.34", "0.450", "0.00312"; "<0.0001" below that.
func fmtRatio(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x < 0.0001:
		return "<0.0001"
	case x >= 1000:
		return units.SI(x)
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(units.RoundSig(x)))))
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

// fmtMB formats bytes per second as MB/s (1e6 bytes), "-" for none.
func fmtMB(bps float64) string {
	if bps == 0 {
		return "-"
	}
	return strconv.FormatFloat(bps/1e6, 'f', 1, 64)
}

// fmtMiB formats bytes as MiB with one decimal, "-" for none.
func fmtMiB(b int64) string {
	if b <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}

// FormatCI is the half-width of e's confidence interval relative to its median, as
// benchstat shows it: "3%"; "∞" when too few runs bound it (e.Unbounded); "?" when
// the interval straddles zero or e is empty.
func FormatCI(e results.Estimate) string {
	if e.Unbounded {
		return "∞"
	}
	if e.N == 0 {
		return "?"
	}
	if e.Median == 0 {
		if e.Lo == 0 && e.Hi == 0 {
			return "0%"
		}
		return "?"
	}
	if math.Signbit(e.Lo) != math.Signbit(e.Median) || math.Signbit(e.Hi) != math.Signbit(e.Median) {
		return "?"
	}
	v := math.Max(e.Hi/e.Median-1, 1-e.Lo/e.Median)
	return strconv.FormatFloat(100*v, 'f', 0, 64) + "%"
}

// superscript is the footnote marker for note n (1-based).
func superscript(n int) string {
	digits := []string{"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"}
	var b strings.Builder
	for _, c := range strconv.Itoa(n) {
		b.WriteString(digits[c-'0'])
	}
	return b.String()
}

// notes numbers distinct footnotes in order of first use.
type notes struct {
	texts []string
}

// mark returns the marker of the footnote with the given text, adding it if new.
func (n *notes) mark(text string) string {
	for i, t := range n.texts {
		if t == text {
			return superscript(i + 1)
		}
	}
	n.texts = append(n.texts, text)
	return superscript(len(n.texts))
}

// table is a grid of cells, rendered as aligned text or as a Markdown table.
type table struct {
	header []string
	right  []bool // right-align this column (numbers)
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// text renders t with two spaces between columns; widths count runes, so "µs" and
// "±" line up.
func (t *table) text(b *strings.Builder) {
	w := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range append([][]string{t.header}, t.rows...) {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", w[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

// markdown renders t as a GitHub table.
func (t *table) markdown(b *strings.Builder) {
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteByte('\n')
	}
	row(t.header)
	b.WriteString("|")
	for i := range t.header {
		if t.right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.rows {
		row(r)
	}
}

// mdEscape keeps a cell's text from breaking the table or being read as markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", "\n", " ")
	return r.Replace(s)
}
