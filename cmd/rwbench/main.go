// Command rwbench measures how Linux filesystems serialize page-cache filling
// against hole punching, on a user-space model of the page cache over a real
// O_DIRECT store. It is a thin binding of flags to the runner, report, plots
// and compare packages; see the README for the tour.
//
// Each command is a file here: its flag set and the function that runs it
// (command). The libraries read no flags and exit nowhere: they return errors
// and values, which exit.go maps to the exit codes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// version may be set at build time with -ldflags "-X main.version=..."; left
// "dev", buildVersion reads the build info instead.
var version = "dev"

const topUsage = `rwbench measures how page-cache filling is serialized against hole punching.

Usage:
  rwbench run [-o FILE] [-set key=value]... [-q] [-v] [-fail-on LIST] [-plots DIR] [-cpuprofile FILE] [-mutexprofile FILE] [-validate] [CONFIG.yaml]
  rwbench list
  rwbench report [-format text|markdown|csv|benchfmt|json] RESULTS.json...
  rwbench plot [-o DIR] [-format png,svg] RESULTS.json...
  rwbench compare [-alpha 0.05] [-threshold 5%] [-metric ops_per_sec,p99] [-format text|markdown|json] [-ignore KEY,...] OLD.json NEW.json
  rwbench version

Run 'rwbench COMMAND -h' for a command's flags and examples.
`

// command is one subcommand: its flags, bound to the variables they set, and
// the function that runs it on the arguments left after them. fs nil: the
// command takes no flags and ignores its arguments.
type command struct {
	fs  *flag.FlagSet
	run func(args []string) error
}

// commands are the subcommands, made for one invocation's output.
func commands(stdout, stderr io.Writer) map[string]command {
	return map[string]command{
		"run":     runCommand(stdout, stderr),
		"list":    listCommand(stdout, stderr),
		"report":  reportCommand(stdout, stderr),
		"plot":    plotCommand(stdout, stderr),
		"compare": compareCommand(stdout, stderr),
		"version": versionCommand(stdout),
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	}
	cmd, ok := commands(stdout, stderr)[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "rwbench: unknown command %q: want run, list, report, plot, compare or version (see rwbench -h)\n", args[0])
		return exitUsage
	}
	rest := args[1:]
	if cmd.fs != nil {
		if err := parse(cmd.fs, rest); err != nil {
			return exitCode(err, stderr)
		}
		rest = cmd.fs.Args()
	}
	return exitCode(cmd.run(rest), stderr)
}
