package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/rwbench/rwbench/plots"
)

// plotCommand is `rwbench plot`: the charts of results files.
func plotCommand(stdout, stderr io.Writer) command {
	fs := newFlags("plot", "rwbench plot [-o DIR] [-format png,svg] RESULTS.json...",
		"  rwbench plot -o plots/ results/mixed-rw-*.json\n", stderr)
	dir := fs.String("o", "plots", "output directory")
	format := fs.String("format", "png", "comma-separated formats: png, svg")
	return command{fs, func(args []string) error {
		if len(args) == 0 {
			return errNoResults("plot")
		}
		formats := strings.Split(*format, ",")
		for _, f := range formats {
			if f != "png" && f != "svg" {
				return usagef("-format %q: want png, svg or png,svg", *format)
			}
		}
		files, err := readResults("plot", args)
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
	}}
}
