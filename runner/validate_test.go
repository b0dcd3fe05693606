package runner

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// naiveDeadlockConfig reads file 0 into a buffer that is a mapping of file 0
// while a puncher punches it: under naive the read holds i_mmap_sem shared
// across the copy-out, the copy-out faults and takes it shared again, and a
// punch queued between the two waits for the reader that waits behind it.
const naiveDeadlockConfig = `name: naive-deadlock-test
backend: {kind: memory, size: 8MiB}
cache: {size: 2MiB}
files: {count: 1, size: 1MiB}
strategies: [naive]
duration: 20s
warmup: 0s
repeat: 1
verify: off
validate: true
jobs:
  - {op: read, threads: 1, bs: 64KiB, user_buffer: mmap, user_file: 0}
  - {op: punch, threads: 1, length: 64KiB}
`

// TestNaiveDeadlockWatchdog runs the real model with naive: the validator
// reports the inversion on the first copy-out fault, before anything waits;
// then the read and the punch deadlock for real, and the watchdog stops the
// run with the locks each worker holds.
func TestNaiveDeadlockWatchdog(t *testing.T) {
	c := testConfig(t, naiveDeadlockConfig)
	var log syncBuffer
	start := time.Now()
	f, err := Run(t.Context(), c, Options{Watchdog: 300 * time.Millisecond, Log: &log})
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("err = %v, want ErrStalled; log:\n%.3000s", err, log.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stall detected after %v", d)
	}
	if f == nil || !strings.Contains(f.Failed, "watchdog") {
		t.Errorf("results file not marked failed by the watchdog: %+v", f)
	}
	out := log.String()
	if i := strings.Index(out, "rwbench: watchdog"); i >= 0 {
		t.Logf("watchdog:\n%.600s", out[i:])
	}
	inversion := strings.Index(out, "rwbench: lock validator (naive): ")
	stall := strings.Index(out, "rwbench: watchdog: no operation completed")
	if inversion < 0 || stall < 0 || inversion > stall {
		t.Fatalf("want the validator's report (at %d) before the watchdog's (at %d)", inversion, stall)
	}
	for _, want := range []string{
		"lock order violation: mmap_lock (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry",
		"lock inversion: ",
		"recursive acquisition: i_mmap_sem (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry (the same lock)",
		"worker 0 (jobs[0] read): in read for",
		// at fault or at page_mkwrite, whichever the punch queued before
		"holds: i_mmap_sem (shared) at read_entry; mmap_lock (shared) at fault; waits for i_mmap_sem (shared) at ",
		"worker 1 (jobs[1] punch): in punch for",
		"holds: i_rwsem (exclusive) at punch; waits for i_mmap_sem (exclusive) at punch",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q", want)
		}
	}
}

// TestValidateClean: a validated run of invalidate with the same mapped buffer
// (in its own file, so verified) is deadlock-free and clean, and the results
// carry no findings and lock histograms.
func TestValidateClean(t *testing.T) {
	c := testConfig(t, `name: validate-clean
backend: {kind: memory, size: 8MiB}
cache: {size: 1MiB}
files: {count: 2, size: 1MiB}
strategies: [invalidate]
duration: 400ms
warmup: 0s
interval: 100ms
repeat: 1
validate: true
jobs:
  - {op: read, threads: 2, bs: 16KiB, user_buffer: mmap, user_file: 1, files: 0}
  - {op: punch, threads: 1, length: 64KiB, files: 0}
  - {op: write, threads: 1, bs: 16KiB, files: 0}
`)
	var log syncBuffer
	f, err := Run(t.Context(), c, Options{Log: &log})
	if err != nil {
		t.Fatalf("%v; log:\n%s", err, log.String())
	}
	run := f.Results[0].Runs[0]
	if len(run.Violations) > 0 {
		t.Errorf("violations: %q", run.Violations)
	}
	if v := run.Verify; v.Checked == 0 || v.Wrong() > 0 || !run.Fsck.Ok {
		t.Errorf("verify %+v, fsck %+v", v, run.Fsck)
	}
	if run.Ops["read"].Count == 0 {
		t.Error("no reads")
	}
	hist := false
	for _, l := range run.Locks {
		hist = hist || len(l.HoldHist) > 0
	}
	if !hist {
		t.Errorf("no hold histogram in %+v", run.Locks)
	}
	if strings.Contains(log.String(), "lock validator") {
		t.Errorf("log: %s", log.String())
	}
}
