package runner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/runner"
)

func load(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(runner.Known()); err != nil {
		t.Fatal(err)
	}
	return c
}

// rwbenchDirs lists the rwbench-* entries of dir.
func rwbenchDirs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "rwbench-*"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// onWrite calls f on its first write, and keeps what is written.
// onWrite is a Progress that calls f when the first run begins and notes
// what it is told.
type onWrite struct {
	once sync.Once
	f    func()
	mu   sync.Mutex // guards got
	got  []string
}

func (w *onWrite) Run(r runner.RunInfo) {
	w.once.Do(w.f)
	w.note(fmt.Sprintf("run %d/%d: %s rep %d/%d", r.Index, r.Total, r.Strategy, r.Rep, r.Reps))
}

func (w *onWrite) Phase(p runner.Phase) { w.note(string(p)) }

func (w *onWrite) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, s)
}

// TestRunInterrupt is SIGINT during a run of the model: Run returns promptly
// with context.Canceled and the results so far, marked partial, and removes its
// temporary directory.
func TestRunInterrupt(t *testing.T) {
	// A private TMPDIR: other packages' tests make rwbench-* directories too.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %s, want %s", os.TempDir(), tmp)
	}
	c := load(t, `name: interrupt
backend: {kind: memory, size: 8MiB}
cache: {size: 1MiB}
files: {count: 2, size: 1MiB}
strategies: [none, invalidate]
duration: 5s
warmup: 50ms
repeat: 2
jobs:
  - {op: read, threads: 2}
  - {op: write, threads: 1}
  - {op: punch, threads: 1, rate: 50}
`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		mu        sync.Mutex // guards cancelled and duringRun, set by the interrupt's timer
		cancelled time.Time
		duringRun []string
		logBuf    bytes.Buffer
		fired     = make(chan struct{})
	)
	// The interrupt comes 1.5 s after the first cell started (its progress
	// Run call): after its target is set up and its 50 ms warm-up, within its window,
	// even on a loaded machine.
	progress := &onWrite{f: func() {
		time.AfterFunc(1500*time.Millisecond, func() {
			mu.Lock()
			duringRun = rwbenchDirs(t, tmp)
			cancelled = time.Now()
			mu.Unlock()
			cancel()
			close(fired)
		})
	}}
	start := time.Now()
	f, err := runner.Run(ctx, c, runner.Options{Version: "test", Log: &logBuf, Progress: progress})
	returned := time.Now()
	<-fired
	mu.Lock()
	defer mu.Unlock()

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if late := returned.Sub(cancelled); late > 1500*time.Millisecond {
		t.Errorf("Run returned %v after the interrupt, want about a second at most", late)
	}
	t.Logf("Run returned %v after the interrupt, %v after the start", returned.Sub(cancelled), returned.Sub(start))
	if f == nil {
		t.Fatal("no results file")
	}
	if !f.Partial || f.Failed != "" {
		t.Errorf("partial %v, failed %q: want partial and not failed", f.Partial, f.Failed)
	}
	if err := results.Validate(f); err != nil {
		t.Error(err)
	}
	if f.Name != "interrupt" || f.RWBench != "test" || f.Finished.Before(f.Started) || len(f.Config) == 0 {
		t.Errorf("header: name %q rwbench %q started %v finished %v config %d bytes", f.Name, f.RWBench, f.Started, f.Finished, len(f.Config))
	}
	if m := f.Machine; !(m.Clock == "tsc" && m.TSCHz > 0 || m.Clock == "monotonic" && m.TSCHz == 0) {
		t.Errorf("machine: clock %q, TSC %d Hz", m.Clock, m.TSCHz)
	}
	if len(f.Results) != 2 {
		t.Fatalf("%d cells, want 2", len(f.Results))
	}
	// The interrupt came in the first cell's window.
	first := f.Results[0]
	if first.Strategy != "none" || len(first.Runs) != 1 {
		t.Fatalf("first cell %s has %d runs, want none with 1", first.Strategy, len(first.Runs))
	}
	r := first.Runs[0]
	t.Logf("the interrupted run measured %v", time.Duration(r.DurationNs))
	if d := time.Duration(r.DurationNs); d <= 0 || d >= 2*time.Second {
		t.Errorf("interrupted run lasted %v, want the time up to the interrupt", d)
	}
	if r.Ops["read"].Count == 0 || r.Ops["read"].OpsPerSec <= 0 {
		t.Errorf("read %+v: want ops measured before the interrupt", r.Ops["read"])
	}
	if n := len(f.Results[1].Runs); n != 0 {
		t.Errorf("second cell has %d runs, want none", n)
	}
	if len(duringRun) != 1 {
		t.Errorf("rwbench-* in TMPDIR during the run: %v, want the run's directory", duringRun)
	}
	if left := rwbenchDirs(t, tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	progress.mu.Lock()
	if got := strings.Join(progress.got, ", "); !strings.HasPrefix(got, "run 1/4: none rep 1/2, prefill, warm-up, measure") {
		t.Errorf("progress = %q", got)
	}
	progress.mu.Unlock()
	if logBuf.Len() != 0 {
		t.Errorf("log: %s", logBuf.String())
	}
}

// TestPreflight: the backend problems Preflight must find before anything
// runs, with the key in the message, and nothing left behind.
func TestPreflight(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.img")
	content := []byte("not an rwbench image\n")
	if err := os.WriteFile(victim, content, 0o644); err != nil {
		t.Fatal(err)
	}
	base := `name: pre
cache: {size: 1MiB}
files: {count: 1, size: 1MiB}
strategies: [none]
duration: 1s
jobs: [{op: read}]
backend:
  size: 4MiB
`
	for _, tc := range []struct {
		name, backend, want string
	}{
		{"not ours", "  path: " + victim + "\n", "backend.path " + victim + ": exists and was not formatted by rwbench"},
		{"no directory", "  path: " + filepath.Join(dir, "no", "img") + "\n", "does not exist"},
		{"temporary image", "", ""},
		{"memory", "  kind: memory\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runner.Preflight(load(t, base+tc.backend))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Preflight = %v, want an error containing %q", err, tc.want)
			}
			if left := rwbenchDirs(t, tmp); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	if got, err := os.ReadFile(victim); err != nil || !bytes.Equal(got, content) {
		t.Errorf("victim changed: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Preflight created the missing directory: %v", err)
	}
}
