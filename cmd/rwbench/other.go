package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/rwbench/rwbench/compare"
	"github.com/rwbench/rwbench/plots"
	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/runner"
	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/strategies"
)

func cmdList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", "rwbench list", "  rwbench list\n", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, s := range strategies.Names() {
		fmt.Fprintf(stdout, "strategy  %-11s %s\n", s, strategies.Describe(s))
	}
	fmt.Fprintf(stdout, "target    %-11s %s\n", runner.TargetKernel, "the host kernel's page cache on real files (calibration)")
	fmt.Fprintf(stdout, "target    %-11s %s\n", runner.TargetRaw, "O_DIRECT straight to files, no cache: the device floor")
	for _, fs := range scratchfs.Names() {
		fmt.Fprintf(stdout, "target    %-11s %s\n", fs, "kernel on a "+fs+" made for each run: loop device, memory cgroup of cache.size (root; kind "+runner.TargetRealFS+")")
	}
	for _, op := range runner.Ops() {
		fmt.Fprintf(stdout, "op        %-11s %s\n", op, opDoc[op])
	}
	for _, b := range runner.Backends() {
		fmt.Fprintf(stdout, "backend   %-11s %s\n", b, backendDoc[b])
	}
	return nil
}

var opDoc = map[string]string{
	"read":     "buffered read(2) of bs bytes",
	"write":    "buffered write(2) of bs bytes (i_rwsem exclusive)",
	"fault":    "read fault on a shared mapping (MADV_DONTNEED, then load)",
	"mkwrite":  "write fault on a shared mapping, through page_mkwrite",
	"punch":    "fallocate(PUNCH_HOLE|KEEP_SIZE) of length bytes",
	"truncate": "ftruncate down by length bytes and back up",
	"zero":     "fallocate(ZERO_RANGE|KEEP_SIZE) of length bytes",
	"advise":   "fadvise(WILLNEED) of length bytes",
}

var backendDoc = map[string]string{
	"file":     "an image file opened with O_DIRECT (default: in a temporary directory)",
	"blockdev": "a block device opened with O_DIRECT (refused when mounted)",
	"memory":   "memory, with optional injected latency (for tests)",
}

func readResults(paths []string) ([]*results.File, error) {
	var files []*results.File
	for _, p := range paths {
		f, err := results.Read(p)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		files = append(files, f)
	}
	return files, nil
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "rwbench report [-format text|markdown|csv|benchfmt|json] RESULTS.json...",
		"  rwbench report results/quick-*.json\n  rwbench report -format benchfmt old.json > old.txt && benchstat -col /strategy old.txt\n", stderr)
	format := fs.String("format", "text", "text, markdown, csv, benchfmt or json (the fidelity figures)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("report needs at least one results file")
	}
	files, err := readResults(fs.Args())
	if err != nil {
		return err
	}
	if err := report.Write(stdout, *format, files...); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", "rwbench plot [-o DIR] [-format png,svg] RESULTS.json...",
		"  rwbench plot -o plots/ results/mixed-rw-*.json\n", stderr)
	dir := fs.String("o", "plots", "output directory")
	format := fs.String("format", "png", "comma-separated formats: png, svg")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("plot needs at least one results file")
	}
	formats := strings.Split(*format, ",")
	for _, f := range formats {
		if f != "png" && f != "svg" {
			return usagef("-format %q: want png, svg or png,svg", *format)
		}
	}
	files, err := readResults(fs.Args())
	if err != nil {
		return err
	}
	written, err := plots.Write(*dir, formats, files...)
	if err != nil {
		return err
	}
	for _, w := range written {
		fmt.Fprintln(stdout, w)
	}
	return nil
}

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	// compare.Main owns the flags (which may also follow the files), the
	// comma-separated lists of results files per side, and the exit codes.
	code := compare.Main(args, stdout, stderr)
	if code == compare.ExitUsage && helpAsked(args) {
		return errHelp // -h printed the usage: success, as for the other commands
	}
	return exitError{code, errQuiet}
}

// helpAsked reports whether args ask for help (-h, -help, --help) before any "--".
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
