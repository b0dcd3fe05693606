package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestValidateFlag runs the shipped naive-deadlock config without its puncher
// (so nothing deadlocks) and with -validate: the findings go to stderr as they
// are found and into the results file, and `rwbench report` lists them.
func TestValidateFlag(t *testing.T) {
	out := filepath.Join(t.TempDir(), "naive.json")
	_, stderr := mustRun(t, exitOK, "run", "-q", "-o", out, "-validate",
		"-set", "strategies=naive", "-set", "jobs[1].threads=0", "-set", "validate=false",
		"-set", "duration=300ms", "-set", "interval=100ms",
		filepath.Join(repoRoot, "configs", "naive-deadlock.yaml"))
	if !strings.Contains(stderr, "rwbench: lock validator (naive): lock order violation: mmap_lock (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry") {
		t.Errorf("stderr:\n%.2000s", stderr)
	}
	f, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	vs := f.Results[0].Runs[0].Violations
	if len(vs) == 0 || !strings.Contains(strings.Join(vs, "\n"), "lock inversion: ") {
		t.Errorf("violations in the results: %q", vs)
	}
	report, _ := mustRun(t, exitOK, "report", out)
	for _, want := range []string{
		"lock validator findings",
		"naive-deadlock naive -: ",
		"  recursive acquisition: i_mmap_sem (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry (the same lock)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report does not contain %q:\n%s", want, report)
		}
	}
}
