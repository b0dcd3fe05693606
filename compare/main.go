package compare

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// Exit codes of Main.
const (
	ExitOK         = 0 // no regression
	ExitRegression = 1 // at least one regression
	ExitUsage      = 2 // bad usage, unreadable or incompatible files
	// ExitInconclusive: no regression found, but the runs could not have shown
	// one (too few, too noisy, partial or missing): not a pass.
	ExitInconclusive = 4
)

const usage = `usage: rwbench compare [-alpha 0.05] [-threshold 5%%] [-metric ops_per_sec,p99] [-format text|markdown|json] [-ignore KEY,...] OLD.json NEW.json

Compares the runs of NEW against those of OLD, cell by cell and op by op, with the
Mann-Whitney U test. A change is a regression when it is significant at alpha and
worse than the threshold. OLD and NEW may each be a comma-separated list of results
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

const examples = `
Examples:
  rwbench compare base.json head.json || echo regression
  rwbench compare -threshold 10% -metric p99 -format markdown base-1.json,base-2.json head-1.json,head-2.json
  rwbench compare -ignore duration,repeat short.json long.json   # across a deliberate config change
`

// Main runs `rwbench compare` with args (those after "compare"), writing the report
// to stdout and errors to stderr, and returns the exit code: ExitOK,
// ExitRegression, ExitUsage or ExitInconclusive.
func Main(args []string, stdout, stderr io.Writer) int {
	def := DefaultOptions()
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, strings.Join(Metrics(), ", "))
		fs.PrintDefaults()
		fmt.Fprint(stderr, examples)
	}
	alpha := fs.Float64("alpha", def.Alpha, "significance `level` of the U test")
	threshold := fs.String("threshold", "5%", "how much worse a significant change must be to be a regression (`percent`, or a fraction)")
	metricList := fs.String("metric", strings.Join(def.Metrics, ","), "comma-separated `metrics` to compare")
	format := fs.String("format", def.Format, "output `format`: "+strings.Join(Formats(), ", "))
	ignore := fs.String("ignore", "", "comma-separated config `keys` whose difference is deliberate (duration, cache.size, jobs[1].threads; a key covers the keys under it)")

	// Flags may follow the files: parse, take a positional argument, parse on.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return ExitUsage // the flag package has printed the error (or -h's usage)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if len(files) != 2 {
		fmt.Fprintf(stderr, "rwbench: compare: want OLD and NEW results files, got %d arguments (see rwbench compare -h)\n", len(files))
		return ExitUsage
	}

	o := Options{Alpha: *alpha, Format: *format}
	for _, k := range strings.Split(*ignore, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.Ignore = append(o.Ignore, k)
		}
	}
	th, err := ParseThreshold(*threshold)
	if err != nil {
		fmt.Fprintf(stderr, "rwbench: compare: %v\n", err)
		return ExitUsage
	}
	o.Threshold = th
	for _, m := range strings.Split(*metricList, ",") {
		if m = strings.TrimSpace(m); m != "" {
			o.Metrics = append(o.Metrics, m)
		}
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		fmt.Fprintf(stderr, "rwbench: compare: -alpha %v is not between 0 and 1\n", o.Alpha)
		return ExitUsage
	}
	known := false
	for _, f := range Formats() {
		known = known || f == o.Format
	}
	if !known {
		fmt.Fprintf(stderr, "rwbench: compare: unknown -format %q (want one of %s)\n", o.Format, strings.Join(Formats(), ", "))
		return ExitUsage
	}

	old, err := load(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "rwbench: compare: %v\n", err)
		return ExitUsage
	}
	new, err := load(files[1])
	if err != nil {
		fmt.Fprintf(stderr, "rwbench: compare: %v\n", err)
		return ExitUsage
	}
	r, err := Compare(old, new, o)
	if err != nil {
		fmt.Fprintf(stderr, "rwbench: compare: %s vs %s: %v\n", files[0], files[1], err)
		return ExitUsage
	}
	r.Old.Label, r.New.Label = files[0], files[1]
	if err := r.Write(stdout, o.Format); err != nil {
		fmt.Fprintf(stderr, "rwbench: compare: %v\n", err)
		return ExitUsage
	}
	return r.ExitCode()
}

// load reads a results file, or a comma-separated list of them, merged.
func load(arg string) (*results.File, error) {
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
