package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rwbench/rwbench/runner"
)

// hardStop is how long a run may take to stop after the first signal before
// the process exits anyway. The runner's own bounds (runner.runBounded) make
// a model run stop well within a second; a real filesystem's target gets up
// to half a minute to stop and as long to undo its setup. This is the
// backstop for a bug there.
const hardStop = 75 * time.Second

// interrupts turns SIGINT, SIGTERM and SIGHUP into the end of a run: the first
// cancels the run's context, so the run stops, writes what it gathered marked
// partial and removes its temporary files; a second one, or a run still going
// hardStop after the first, removes the temporary files and exits at once.
// The exit code is 128 plus the first signal's number (130, 143, 129).
type interrupts struct {
	sigs    chan os.Signal
	quit    chan struct{}
	cleanup *runner.Cleanup
	stderr  io.Writer
	exit    func(int)

	mu    sync.Mutex // guards first and ended
	first syscall.Signal
	ended bool // the run returned: no hard stop, a second signal still exits
}

// catchInterrupts starts catching the signals for a run that cancel stops.
func catchInterrupts(cancel context.CancelFunc, cleanup *runner.Cleanup, stderr io.Writer) *interrupts {
	in := &interrupts{sigs: make(chan os.Signal, 4), quit: make(chan struct{}), cleanup: cleanup, stderr: stderr, exit: os.Exit}
	signal.Notify(in.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go in.loop(cancel)
	return in
}

func (in *interrupts) loop(cancel context.CancelFunc) {
	var deadline <-chan time.Time
	for {
		select {
		case <-in.quit:
			return
		case <-deadline:
			in.mu.Lock()
			ended := in.ended
			in.mu.Unlock()
			if !ended {
				in.die(fmt.Sprintf("the run did not stop within %v of the signal; exiting", hardStop))
			}
		case s := <-in.sigs:
			sig, _ := s.(syscall.Signal)
			in.mu.Lock()
			first, ended := in.first == 0, in.ended
			if first {
				in.first = sig
			}
			in.mu.Unlock()
			if !first {
				in.die(fmt.Sprintf("%v again: exiting at once", s))
				continue
			}
			fmt.Fprintf(in.stderr, "rwbench: %v: stopping and writing the results so far (a second signal exits at once)\n", s)
			cancel()
			if !ended {
				deadline = time.After(hardStop)
			}
		}
	}
}

// die removes the run's temporary files and exits with the signal's code.
func (in *interrupts) die(msg string) {
	fmt.Fprintf(in.stderr, "rwbench: %s\n", msg)
	in.cleanup.Now()
	in.exit(signalExit(in.signal()))
}

// ended says the run returned: what is left (writing the results) is bounded.
func (in *interrupts) runEnded() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ended = true
}

// signal is the first signal caught, 0 for none.
func (in *interrupts) signal() syscall.Signal {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.first
}

// stop stops catching signals.
func (in *interrupts) stop() {
	signal.Stop(in.sigs)
	close(in.quit)
}
