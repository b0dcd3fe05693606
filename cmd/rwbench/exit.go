package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/rwbench/rwbench/compare"
	"github.com/rwbench/rwbench/runner"
)

// Exit codes. The commands return errors of the kinds below and values (a
// compare.Outcome); exitCode and outcomeExit are the one place where they
// become codes.
const (
	exitOK           = 0
	exitFail         = 1 // a run failed, -fail-on found a problem, or compare found a regression
	exitUsage        = 2 // bad flags, config or input files
	exitStalled      = 3 // the watchdog stopped a stuck run
	exitInconclusive = 4 // compare found no regression, but the runs could not have shown one
	exitInterrupt    = 130
)

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// failure is a failed run whatever the errors it joins say: a stall or an
// interrupt whose results could not be written is exit 1, not 3 or 130.
type failure struct{ err error }

func (e failure) Error() string { return e.err.Error() }
func (e failure) Unwrap() error { return e.err }

// interrupted is a run a signal stopped: exit 128 plus the signal's number.
type interrupted struct {
	sig syscall.Signal // 0 when the context ended without a signal
	err error
}

func (e interrupted) Error() string { return e.err.Error() }
func (e interrupted) Unwrap() error { return e.err }

// outcome is compare's answer, reported on stdout already: its exit code
// without a message.
type outcome struct{ o compare.Outcome }

func (e outcome) Error() string { return string(e.o) }

var (
	errHelp = errors.New("help")
	errFlag = errors.New("flag error")
)

// signalExit is the exit code of a process stopped by sig: 128 plus its number.
func signalExit(sig syscall.Signal) int {
	if sig == 0 {
		return exitInterrupt
	}
	return 128 + int(sig)
}

// outcomeExit is compare's exit code for an outcome: CI reads 0 as a pass, so
// an inconclusive comparison is not 0.
func outcomeExit(o compare.Outcome) int {
	switch o {
	case compare.OutcomeRegression:
		return exitFail
	case compare.OutcomeNone:
		return exitOK
	}
	return exitInconclusive
}

// exitCode prints err as one line and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	var (
		f  failure
		in interrupted
		o  outcome
		ue usageError
	)
	code := exitFail
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errFlag):
		return exitUsage // the flag package printed it
	case errors.As(err, &o):
		return outcomeExit(o.o) // the report said it
	case errors.As(err, &f):
		// exitFail, before the stall or interrupt it may join
	case errors.As(err, &in):
		code = signalExit(in.sig)
	case errors.As(err, &ue):
		err, code = ue, exitUsage // the problem, without what wrapped it
	case errors.Is(err, runner.ErrStalled):
		code = exitStalled
	case errors.Is(err, context.Canceled):
		code = exitInterrupt
	}
	fmt.Fprintf(stderr, "rwbench: %v\n", oneLine(err))
	return code
}

// oneLine joins the lines of err's message (errors.Join makes several) with "; ".
func oneLine(err error) string {
	return strings.Join(strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}
