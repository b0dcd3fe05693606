package report

import (
	"strings"

	"github.com/rwbench/rwbench/results"
)

// writeKernelSections writes the sections that hold the model against the
// real kernel: the fidelity table, the model's speed over the kernel's, and
// the writers' dirty-throttling pauses. Each is left out when it has no rows.
func writeKernelSections(b *strings.Builder, files []*results.File, names []string, md bool) {
	pairs, speed := fidelityTables(FidelityOf(files))
	section(b, md, pairs, "Fidelity", "fidelity",
		"per phase and op, the model pair's ratio of medians beside the real pair's, for ops/s and p99; "+
			"factor: the model's ratio over the real one; direction: whether both are on the same side of 1")
	section(b, md, speed, "Model against its counterpart", "model against its counterpart",
		"per phase and op, the model strategy's median ops/s over the real filesystem's that implements it")
	section(b, md, pausesTable(files, names), "Dirty pauses", "dirty pauses",
		"the writers' sleeps in balance_dirty_pages: count and total per run and p99 (medians over the runs), and the longest")
}

// section writes one titled table (nothing when t is nil): a heading and a
// sentence in Markdown, "title (what)" in text.
func section(b *strings.Builder, md bool, t *table, mdTitle, title, what string) {
	if t == nil {
		return
	}
	b.WriteByte('\n')
	if md {
		b.WriteString("#### " + mdTitle + "\n\n" + mdEscape(what) + ".\n\n")
		t.markdown(b)
		return
	}
	b.WriteString(title + " (" + what + ")\n")
	t.text(b)
}
