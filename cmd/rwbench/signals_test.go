package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
)

// phaseConfig is a run whose phases are long enough to send a signal into
// each: %s are the backend, the warm-up, the duration and the repeat.
func phaseConfig(backend, warmup, duration, repeat string) string {
	return `name: phases
backend: ` + backend + `
cache: {size: 2MiB}
files: {count: 2, size: 8MiB}
strategies: [invalidate, none]
warmup: ` + warmup + `
duration: ` + duration + `
interval: 100ms
repeat: ` + repeat + `
jobs:
  - {op: read, threads: 2, rate: 200}
  - {op: write, threads: 1, rate: 100}
`
}

// TestSignalPhases sends SIGINT, SIGTERM or SIGHUP to the built binary in each
// phase of a run: it must exit within a second or so with 128 plus the
// signal's number, write the results so far marked partial (the measurement,
// if there was one; a check that did not finish recorded as not run, and no
// run started after the signal), and leave nothing in its TMPDIR (the
// temporary image).
func TestSignalPhases(t *testing.T) {
	// A file image in TMPDIR: the image the signal must not leave behind.
	file := "{kind: file, size: 64MiB}"
	if isTmpfs(t.TempDir()) {
		file = "{kind: file, size: 64MiB, direct: false}"
	}
	for _, tc := range []struct {
		phase  string
		config string
		after  time.Duration // when the signal goes
		sig    syscall.Signal
		// runs is the number of runs in the results; measured says whether
		// they measured, notRun whether the last one's check is not run.
		runs   int
		notRun bool
	}{
		// Every I/O waits 200ms: the prefill of 16 MiB lasts seconds.
		{"prefill", phaseConfig(strings.Replace(file, "}", ", faults: {stall: 200ms}}", 1), "0s", "1s", "1"), 700 * time.Millisecond, syscall.SIGINT, 0, false},
		{"warm-up", phaseConfig(file, "30s", "1s", "1"), 1500 * time.Millisecond, syscall.SIGHUP, 0, false},
		{"measurement", phaseConfig(file, "0s", "30s", "1"), 1500 * time.Millisecond, syscall.SIGTERM, 1, true},
		// Each I/O of the store takes 150ms. The prefill stays in the cache,
		// written back in 16 1 MiB runs; after a 300ms measurement the check
		// reads 16 MiB cold in 1 MiB reads, each its own readahead window
		// (larger than cache.readahead, so of the request's size), one I/O
		// after another: 2.4 s. Repeat 2: after the signal, no second run
		// may start.
		{"check", strings.NewReplacer("cache: {size: 2MiB}", "cache: {size: 32MiB, dirty_limit: 16MiB, readahead: 16KiB}",
			"files: {count: 2, size: 8MiB}", "files: {count: 1, size: 16MiB}", // one file: its blocks are consecutive
		).Replace(phaseConfig("{kind: memory, size: 64MiB, latency: 150ms}", "0s", "300ms", "2")), 2 * time.Second, syscall.SIGINT, 1, true},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			t.Parallel()
			p := startBinary(t, writeConfig(t, t.TempDir(), tc.config))
			time.Sleep(tc.after)
			sent := time.Now()
			p.signal(t, tc.sig)
			code, took := p.wait(sent)
			t.Logf("%v in %s: exit %d after %v", tc.sig, tc.phase, code, took)
			if want := 128 + int(tc.sig); code != want {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, want, p.stderr.String())
			}
			if took > 2*time.Second {
				t.Errorf("exited %v after the signal, want about a second at most", took)
			}
			f, err := results.Read(p.out)
			if err != nil {
				t.Fatalf("results: %v\nstderr:\n%s", err, p.stderr.String())
			}
			if !f.Partial {
				t.Error("results not marked partial")
			}
			var runs []results.Run
			for _, c := range f.Results {
				runs = append(runs, c.Runs...)
			}
			if len(runs) != tc.runs {
				t.Fatalf("%d runs in the results, want %d (the signal came in the %s?)", len(runs), tc.runs, tc.phase)
			}
			if tc.runs > 0 {
				r := runs[0]
				if r.Ops["read"].Count == 0 {
					t.Errorf("the interrupted run measured no reads: %+v", r.Ops["read"])
				}
				if r.Fsck.NotRun != tc.notRun || r.Fsck.Ok {
					t.Errorf("fsck %+v: want not run, and not ok", r.Fsck)
				}
			}
			if left := p.leftInTmp(); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
			if tc.runs > 0 {
				code, out, _ := rwbench("report", p.out)
				if code != 0 || !strings.Contains(out, "1/1 not run") || strings.Contains(out, "failed") {
					t.Errorf("report of the interrupted run (exit %d): want its check as not run, nothing failed:\n%s", code, out)
				}
			}
		})
	}
}

// TestSecondSignal: a second signal exits at once, removing the temporary
// files, even while the run is stuck in its store (every I/O takes 30s).
func TestSecondSignal(t *testing.T) {
	t.Parallel()
	p := startBinary(t, writeConfig(t, t.TempDir(), phaseConfig("{kind: memory, size: 64MiB, faults: {stall: 30s}}", "0s", "1s", "1")))
	time.Sleep(700 * time.Millisecond)
	p.signal(t, syscall.SIGTERM)
	time.Sleep(50 * time.Millisecond)
	sent := time.Now()
	p.signal(t, syscall.SIGTERM)
	code, took := p.wait(sent)
	if code != 143 || took > 300*time.Millisecond {
		t.Errorf("exit %d %v after the second signal, want 143 at once\nstderr:\n%s", code, took, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "again: exiting at once") {
		t.Errorf("stderr does not say why it exited:\n%s", p.stderr.String())
	}
	if left := p.leftInTmp(); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// TestStalledStore: a store whose I/Os hang (30s each) must neither hang the
// process on SIGINT nor after the watchdog fires: the watchdog writes the
// results so far, marked, dumps the stacks and exits 3 within a bound; SIGINT
// exits 130 within about a second.
func TestStalledStore(t *testing.T) {
	// No prefill: the stall begins with the measurement's writeback, where the
	// workers' watchdog is on duty. The stall ends nowhere near the test.
	stalled := strings.Replace(phaseConfig("{kind: memory, size: 64MiB, faults: {stall: 30s}}", "0s", "10s", "1"),
		"files: {count: 2, size: 8MiB}", "files: {count: 2, size: 8MiB, prefill: false}", 1)
	t.Run("watchdog", func(t *testing.T) {
		t.Parallel()
		p := startBinary(t, writeConfig(t, t.TempDir(), stalled+"watchdog: 1s\n"))
		code, took := p.wait(p.started)
		if code != exitStalled || took > 8*time.Second {
			t.Fatalf("exit %d after %v, want %d within 8s\nstderr:\n%.3000s", code, took, exitStalled, p.stderr.String())
		}
		for _, want := range []string{"watchdog: no operation completed", "goroutine ", "partial results in " + p.out} {
			if !strings.Contains(p.stderr.String(), want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		f, err := results.Read(p.out)
		if err != nil {
			t.Fatal(err)
		}
		if !f.Partial || !strings.Contains(f.Failed, "watchdog") {
			t.Errorf("partial %v failed %q: want partial, failed by the watchdog", f.Partial, f.Failed)
		}
		if left := p.leftInTmp(); len(left) != 0 {
			t.Errorf("left in TMPDIR: %v", left)
		}
	})
	t.Run("SIGINT", func(t *testing.T) {
		t.Parallel()
		p := startBinary(t, writeConfig(t, t.TempDir(), stalled+"watchdog: 60s\n"))
		time.Sleep(1500 * time.Millisecond)
		sent := time.Now()
		p.signal(t, syscall.SIGINT)
		code, took := p.wait(sent)
		if code != exitInterrupt || took > 2*time.Second {
			t.Errorf("exit %d after %v, want %d within about a second\nstderr:\n%s", code, took, exitInterrupt, p.stderr.String())
		}
		if _, err := results.Read(p.out); err != nil {
			t.Error(err)
		}
		if left := p.leftInTmp(); len(left) != 0 {
			t.Errorf("left in TMPDIR: %v", left)
		}
	})
}
