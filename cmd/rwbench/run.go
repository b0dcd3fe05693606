package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/configs"
	"github.com/rwbench/rwbench/plots"
	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/runner"
	"golang.org/x/term"
)

const runExamples = `  rwbench run                                   # the embedded quick config, on a temporary image
  rwbench run configs/mixed-rw.yaml
  rwbench run -set strategies=none,invalidate -set duration=10s configs/race-demo.yaml
  rwbench run -o out.json -plots plots/ configs/seq-cold-read.yaml
  rwbench run -cpuprofile cpu.pprof -mutexprofile mutex.pprof configs/cached-read.yaml   # then: go tool pprof rwbench cpu.pprof
  rwbench run -validate -set strategies=naive -set jobs[1].threads=0 configs/naive-deadlock.yaml   # the lock validator's findings, no deadlock
`

const runUsage = "rwbench run [-o FILE] [-set key=value]... [-q] [-v] [-fail-on LIST] [-plots DIR] [-cpuprofile FILE] [-mutexprofile FILE] [-validate] [CONFIG.yaml]"

// runArgs are the parsed flags and argument of `rwbench run`.
type runArgs struct {
	out, plotDir, cpuProfile, mutexProfile, config string
	quiet, verbose, validate                       bool
	failOnList                                     string // -fail-on as given
	failOn                                         []string
	sets                                           multiFlag
}

// runFlags is run's flag set, bound to the runArgs it fills.
func runFlags(stderr io.Writer) (*flag.FlagSet, *runArgs) {
	fs := newFlags("run", runUsage, runExamples, stderr)
	a := &runArgs{}
	fs.StringVar(&a.out, "o", "", "results file (default results/<name>-<UTC timestamp>.json)")
	fs.BoolVar(&a.quiet, "q", false, "print no summary")
	fs.BoolVar(&a.verbose, "v", false, "print the full report (every op's latencies, the lock, memory and calibration tables) instead of the short one")
	fs.StringVar(&a.failOnList, "fail-on", defaultFailOn, "exit 1 when the results show any of these comma-separated `problems`: "+
		"findings (stale, foreign or corrupt data under a strategy that must be clean: every one but none), fsck (a failed after-run check under such a strategy), "+
		"validator (lock validator findings), stalled (a job that completed no op, or under half what its rate asks); none: never")
	fs.StringVar(&a.plotDir, "plots", "", "also write plots of the results into `DIR`")
	fs.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (every cell) to `FILE`")
	fs.StringVar(&a.mutexProfile, "mutexprofile", "", "write a mutex contention profile of the whole run to `FILE` (samples every contention event)")
	fs.BoolVar(&a.validate, "validate", false, "run the model's lock validator (as -set validate=true): findings go to stderr and into the results")
	fs.Var(&a.sets, "set", "override a config key, e.g. -set jobs[1].threads=4 (repeatable)")
	return fs, a
}

// finish checks what the flags cannot: the one config argument, and -fail-on.
func (a *runArgs) finish(args []string) error {
	if len(args) > 1 {
		return usagef("run takes one config file, got %d arguments", len(args))
	}
	if len(args) == 1 {
		a.config = args[0]
	}
	if a.validate {
		a.sets = append(a.sets, "validate=true")
	}
	var err error
	a.failOn, err = parseFailOn(a.failOnList)
	return err
}

// parseRunArgs parses run's flags and config argument without running anything.
func parseRunArgs(args []string, stderr io.Writer) (*runArgs, error) {
	fs, a := runFlags(stderr)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := a.finish(fs.Args()); err != nil {
		return nil, err
	}
	return a, nil
}

// runCommand is `rwbench run`: it runs a config and writes its results.
func runCommand(stdout, stderr io.Writer) command {
	fs, a := runFlags(stderr)
	return command{fs, func(args []string) error {
		if err := a.finish(args); err != nil {
			return err
		}
		return runConfig(a, stdout, stderr)
	}}
}

// runConfig runs the config a names, writes its results, plots and report,
// and returns why the run failed, if it did.
func runConfig(a *runArgs, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(a.config, a.sets)
	if err != nil {
		return err
	}
	// Signals from here on stop the run rather than kill the process: the
	// image may be formatted (Preflight) and temporary files made. SIGINT,
	// SIGTERM and SIGHUP end a run with partial results, and every target's
	// teardown (the real filesystems' unmount, cgroup and sysctls) runs; a
	// second signal exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cleanup := &runner.Cleanup{}
	sigs := catchInterrupts(cancel, cleanup, stderr)
	defer sigs.stop()
	path := a.out
	if path == "" {
		path = filepath.Join("results", fmt.Sprintf("%s-%s.json", cfg.Name, time.Now().UTC().Format("20060102T150405Z")))
	}
	if err := checkOutput(path, freeSpace); err != nil {
		return err
	}
	release, err := runner.HoldImage(cfg)
	if err != nil {
		return usageError{err.Error()}
	}
	defer release()
	if err := runner.Preflight(cfg); err != nil {
		return usageError{err.Error()}
	}
	opts := runner.Options{Version: buildVersion(), Log: stderr, Cleanup: cleanup}
	var pl *progressLine
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// A terminal only: a progress line in a log file or a pipe is noise.
		pl = newProgressLine(stderr, func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		})
		opts.Progress, opts.Log = pl, pl
	}
	prof, err := startProfiles(a.cpuProfile, a.mutexProfile)
	if err != nil {
		return err
	}
	res, runErr := runner.Run(ctx, cfg, opts)
	if pl != nil {
		pl.Close() // the line cleared before anything else is printed
	}
	sigs.runEnded()
	if err := prof.stop(); err != nil {
		runErr = errors.Join(runErr, err)
	} else if a.cpuProfile != "" || a.mutexProfile != "" {
		fmt.Fprintf(stderr, "rwbench: profiles written:%s\n", prof.names())
	}
	if res == nil {
		return runErr
	}
	if errors.Is(runErr, runner.ErrSizing) {
		return usageError{runErr.Error()} // a config the machine cannot run: nothing was measured
	}
	writeErr := writeResults(path, res)
	if writeErr == nil {
		fmt.Fprintf(stderr, "rwbench: results written to %s\n", path)
	}
	if a.plotDir != "" && runErr == nil && writeErr == nil {
		written, err := plots.Write(a.plotDir, []string{"png"}, res)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "rwbench: %d plots written to %s\n", len(written), a.plotDir)
	}
	ans := report.AnswerOf(res)
	for _, s := range ans.StalledByJob {
		fmt.Fprintf(stderr, "rwbench: stalled: %s\n", s)
	}
	if !a.quiet {
		var err error
		if a.verbose {
			err = report.Write(stdout, "text", res)
		} else {
			err = report.WriteBrief(stdout, res)
		}
		if err != nil {
			return err
		}
	}
	if writeErr != nil {
		return failure{errors.Join(runErr, writeErr)}
	}
	switch {
	case runErr == nil:
		if err := runProblems(res, cfg.ExpectErrors); err != nil {
			return err
		}
		return gate(ans, a.failOn)
	case errors.Is(runErr, context.Canceled):
		return interrupted{sigs.signal(), fmt.Errorf("interrupted; partial results in %s", path)}
	case errors.Is(runErr, runner.ErrStalled):
		return fmt.Errorf("%w; partial results in %s", runErr, path)
	}
	return failure{runErr}
}

// loadConfig reads the config (the embedded quick one without a path), applies
// -set overrides, fills defaults and validates.
func loadConfig(path string, sets []string) (*config.Config, error) {
	var cfg *config.Config
	var err error
	if path == "" {
		cfg, err = config.Parse(configs.Quick(), "configs/quick.yaml (embedded)")
	} else {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, usagef("config %s: is a directory", path)
		}
		cfg, err = config.Load(path)
	}
	if err != nil {
		return nil, usageError{err.Error()}
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, usagef("-set %q: want key=value", s)
		}
		if err := cfg.Set(k, v); err != nil {
			return nil, usagef("-set %s: %v", s, err)
		}
	}
	cfg.Defaults()
	if err := cfg.Validate(runner.Known()); err != nil {
		return nil, usageError{err.Error()}
	}
	return cfg, nil
}

// profiles are the runtime/pprof profiles `run` writes when asked.
type profiles struct {
	cpu, mutex         *os.File
	oldMutexFraction   int
	cpuPath, mutexPath string
}

// startProfiles creates the profile files (so that a bad path fails before the
// run) and starts the CPU profile; the mutex profile fraction is set only when
// a mutex profile is asked for, and restored by stop.
func startProfiles(cpuPath, mutexPath string) (*profiles, error) {
	p := &profiles{cpuPath: cpuPath, mutexPath: mutexPath}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, usagef("-cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, usagef("-cpuprofile: %v", err)
		}
		p.cpu = f
	}
	if mutexPath != "" {
		f, err := os.Create(mutexPath)
		if err != nil {
			if p.cpu != nil {
				pprof.StopCPUProfile()
				p.cpu.Close()
			}
			return nil, usagef("-mutexprofile: %v", err)
		}
		p.mutex = f
		p.oldMutexFraction = runtime.SetMutexProfileFraction(1)
	}
	return p, nil
}

// stop stops the CPU profile and writes the mutex profile.
func (p *profiles) stop() error {
	var errs []error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		errs = append(errs, p.cpu.Close())
	}
	if p.mutex != nil {
		errs = append(errs, pprof.Lookup("mutex").WriteTo(p.mutex, 0))
		runtime.SetMutexProfileFraction(p.oldMutexFraction)
		errs = append(errs, p.mutex.Close())
	}
	return errors.Join(errs...)
}

func (p *profiles) names() string {
	var s string
	if p.cpu != nil {
		s += " cpu " + p.cpuPath
	}
	if p.mutex != nil {
		s += " mutex " + p.mutexPath
	}
	return s
}
