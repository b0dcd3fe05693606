package main

import (
	"io"

	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/results"
)

// reportCommand is `rwbench report`: the tables of results files.
func reportCommand(stdout, stderr io.Writer) command {
	fs := newFlags("report", "rwbench report [-format text|markdown|csv|benchfmt|json] RESULTS.json...",
		"  rwbench report results/quick-*.json\n  rwbench report -format benchfmt old.json > old.txt && benchstat -col /strategy old.txt\n", stderr)
	format := fs.String("format", "text", "text, markdown, csv, benchfmt or json (the fidelity figures)")
	return command{fs, func(args []string) error {
		files, err := readResults("report", args)
		if err != nil {
			return err
		}
		if err := report.Write(stdout, *format, files...); err != nil {
			return usageError{err.Error()}
		}
		return nil
	}}
}

// readResults reads the results files report and plot (cmd) take; none, or
// one that cannot be read, is bad input.
func readResults(cmd string, paths []string) ([]*results.File, error) {
	if len(paths) == 0 {
		return nil, errNoResults(cmd)
	}
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

// errNoResults is the bad input of report or plot (cmd) given no file.
func errNoResults(cmd string) error { return usagef("%s needs at least one results file", cmd) }
