// Command rwbench measures how Linux filesystems serialize page-cache filling
// against hole punching, on a user-space model of the page cache over a real
// O_DIRECT store. It is a thin binding of flags to the runner, report, plots
// and compare packages; see the README for the tour.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rwbench/rwbench/runner"
)

// version may be set at build time with -ldflags "-X main.version=..."; left
// "dev", buildVersion reads the build info instead.
var version = "dev"

// exit codes
const (
	exitOK        = 0
	exitFail      = 1 // a run failed, -fail-on found a problem, or compare found a regression
	exitUsage     = 2 // bad flags, config or input files
	exitStalled   = 3 // the watchdog stopped a stuck run
	exitInterrupt = 130
)

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit code for an error that has been reported.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

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

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdout, stderr)
	case "list":
		err = cmdList(args[1:], stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "plot":
		err = cmdPlot(args[1:], stdout, stderr)
	case "compare":
		err = cmdCompare(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "rwbench %s\n", buildVersion())
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, topUsage)
	default:
		fmt.Fprintf(stderr, "rwbench: unknown command %q: want run, list, report, plot, compare or version (see rwbench -h)\n", args[0])
		return exitUsage
	}
	return exitCode(err, stderr)
}

// exitCode prints err as one line and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errFlag):
		return exitUsage // the flag package printed it
	case errors.As(err, &ee):
		if ee.err != nil && !errors.Is(ee.err, errQuiet) {
			fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(ee.err))
		}
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(ue))
		return exitUsage
	case errors.Is(err, runner.ErrStalled):
		fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(err))
		return exitStalled
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(err))
		return exitInterrupt
	}
	fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(err))
	return exitFail
}

// oneLine joins the lines of err's message (errors.Join makes several) with "; ".
func oneLine(err error) string {
	return strings.Join(strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

var (
	errHelp  = errors.New("help")
	errFlag  = errors.New("flag error")
	errQuiet = errors.New("already reported")
)
