package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rwbench/rwbench/compare"
	"github.com/rwbench/rwbench/results"
)

const compareUsage = `usage: rwbench compare [-alpha 0.05] [-threshold 5%%] [-metric ops_per_sec,p99] [-format text|markdown|json] [-ignore KEY,...] OLD.json NEW.json

Compares the runs of NEW against those of OLD, cell by cell and op by op, with the
Mann-Whitney U test. A change is a regression when it is significant and worse
than the threshold; alpha is the false discovery rate over all the comparisons
(Benjamini-Hochberg), so that tens of them do not make one false regression. OLD and NEW may each be a comma-separated list of results
files of the same config (runs interleaved with the other side's); their runs are
merged. Each comparison also says the smallest change it could have detected at
the runs' noise, and how many runs per side a change of the threshold's size needs.

Exit status: 0 no regression detected (every comparison could have seen a change
of the threshold's size); 1 regression; 2 usage error or incompatible files;
4 inconclusive: no regression found, but too few runs or too much noise to have
seen one, or the new file is partial, failed or lacks cells of the old one.

Metrics: %s.

Flags:
`

const compareExamples = `
Examples:
  rwbench compare base.json head.json || echo regression
  rwbench compare -threshold 10% -metric p99 -format markdown base-1.json,base-2.json head-1.json,head-2.json
  rwbench compare -ignore duration,repeat short.json long.json   # across a deliberate config change
`

// compareCommand is `rwbench compare`: whether NEW's runs are worse than
// OLD's. Its flags may also follow the files.
func compareCommand(stdout, stderr io.Writer) command {
	def := compare.DefaultOptions()
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, compareUsage, strings.Join(compare.Metrics(), ", "))
		fs.PrintDefaults()
		fmt.Fprint(stderr, compareExamples)
	}
	alpha := fs.Float64("alpha", def.Alpha, "false discovery rate `level` over the comparisons (Benjamini-Hochberg on the U tests' p-values)")
	threshold := fs.String("threshold", "5%", "how much worse a significant change must be to be a regression (`percent`, or a fraction)")
	metricList := fs.String("metric", strings.Join(def.Metrics, ","), "comma-separated `metrics` to compare")
	format := fs.String("format", def.Format, "output `format`: "+strings.Join(compare.Formats(), ", "))
	ignore := fs.String("ignore", "", "comma-separated config `keys` whose difference is deliberate (duration, cache.size, jobs[1].threads; a key covers the keys under it)")
	return command{fs, func(rest []string) error {
		// The flags before the first file are parsed: take a file, parse on.
		var files []string
		for len(rest) > 0 {
			files = append(files, rest[0])
			if err := parse(fs, rest[1:]); err != nil {
				return err
			}
			rest = fs.Args()
		}
		if len(files) != 2 {
			return usagef("compare: want OLD and NEW results files, got %d arguments (see rwbench compare -h)", len(files))
		}
		o := compare.Options{Alpha: *alpha, Format: *format, Ignore: splitList(*ignore), Metrics: splitList(*metricList)}
		th, err := compare.ParseThreshold(*threshold)
		if err != nil {
			return usagef("compare: %v", err)
		}
		o.Threshold = th
		if !(o.Alpha > 0 && o.Alpha < 1) {
			return usagef("compare: -alpha %v is not between 0 and 1", o.Alpha)
		}
		known := false
		for _, f := range compare.Formats() {
			known = known || f == o.Format
		}
		if !known {
			return usagef("compare: unknown -format %q (want one of %s)", o.Format, strings.Join(compare.Formats(), ", "))
		}
		old, err := loadSide(files[0])
		if err != nil {
			return usagef("compare: %v", err)
		}
		new, err := loadSide(files[1])
		if err != nil {
			return usagef("compare: %v", err)
		}
		r, err := compare.Compare(old, new, o)
		if err != nil {
			return usagef("compare: %s vs %s: %v", files[0], files[1], err)
		}
		r.Old.Label, r.New.Label = files[0], files[1]
		if err := r.Write(stdout, o.Format, outcomeExit(r.Outcome)); err != nil {
			return usagef("compare: %v", err)
		}
		return outcome{r.Outcome}
	}}
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// loadSide reads one side of a comparison: a results file, or a
// comma-separated list of them, merged.
func loadSide(arg string) (*results.File, error) {
	var files []*results.File
	for _, p := range strings.Split(arg, ",") {
		if p == "" {
			continue
		}
		f, err := results.Read(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%q names no file", arg)
	}
	m, err := results.Merge(files...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return m, nil
}
