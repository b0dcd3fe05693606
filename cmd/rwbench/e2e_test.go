package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
)

// writeTiny writes the tiny config into a temporary directory.
func writeTiny(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(tiny), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustRun runs the CLI and fails unless it exits with want.
func mustRun(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := rwbench(args...)
	if code != want {
		t.Fatalf("rwbench %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, want, stderr)
	}
	return stdout, stderr
}

// checkFile reads a results file and checks its cells: strategies by params,
// each with runs runs that measured reads.
func checkFile(t *testing.T, path string, params []string, runs int) *results.File {
	t.Helper()
	f, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "tiny" || f.Partial || f.Failed != "" || f.RWBench != buildVersion() {
		t.Errorf("header: name %q partial %v failed %q rwbench %q", f.Name, f.Partial, f.Failed, f.RWBench)
	}
	var cells []string
	for _, c := range f.Results {
		cells = append(cells, c.Strategy+" "+results.ParamsString(c.Params))
		if len(c.Runs) != runs {
			t.Errorf("cell %s %v: %d runs, want %d", c.Strategy, c.Params, len(c.Runs), runs)
		}
		for i, r := range c.Runs {
			if r.Rep != i || r.DurationNs != int64(300*time.Millisecond) {
				t.Errorf("cell %s run %d: rep %d, duration %v", c.Strategy, i, r.Rep, time.Duration(r.DurationNs))
			}
			if r.Ops["read"].Count == 0 || r.Ops["read"].OpsPerSec <= 0 {
				t.Errorf("cell %s run %d: read %+v", c.Strategy, i, r.Ops["read"])
			}
			for _, op := range []string{"write", "fault", "punch"} {
				if _, ok := r.Ops[op]; !ok {
					t.Errorf("cell %s run %d: no %s", c.Strategy, i, op)
				}
			}
			// The model's memory: the resident set of every interval and its
			// buffer pool over the window.
			if bp := r.BufferPool; bp == nil || bp.Slabs == 0 || bp.Throttled < 0 || bp.Loose < 0 {
				t.Errorf("cell %s run %d: buffer pool %+v", c.Strategy, i, bp)
			}
			// The model's writers' dirty-throttling pauses over the window (a
			// tiny run may have none, but never negative ones).
			if dp := r.DirtyPauses; dp == nil || dp.Count < 0 || dp.TotalNs < 0 || dp.P99Ns > dp.MaxNs {
				t.Errorf("cell %s run %d: dirty pauses %+v", c.Strategy, i, dp)
			}
			for k, iv := range r.Intervals {
				if iv.RSSBytes <= 0 {
					t.Errorf("cell %s run %d interval %d: no resident set", c.Strategy, i, k)
				}
			}
			// none is the unsafe strategy: it may return stale data and, when a
			// stale page is written back, lose a write. invalidate must not.
			switch {
			case c.Strategy != "invalidate":
				if !r.Fsck.Ok {
					t.Logf("cell %s run %d: fsck %+v (the race none models)", c.Strategy, i, r.Fsck)
				}
			case !r.Fsck.Ok || r.Verify.Wrong() != 0:
				t.Errorf("cell %s run %d: fsck %+v, verify %+v", c.Strategy, i, r.Fsck, r.Verify)
			}
		}
		if s := c.Summary.Ops["read"].OpsPerSec; s.N != runs || s.Median <= 0 {
			t.Errorf("cell %s: read summary %+v", c.Strategy, s)
		}
	}
	var want []string
	for _, p := range params {
		for _, s := range []string{"none", "invalidate"} {
			want = append(want, s+" "+p)
		}
	}
	if !slices.Equal(cells, want) {
		t.Errorf("cells %q, want %q", cells, want)
	}
	return f
}

// TestEndToEnd runs the tiny config and reads its results back with report,
// compare and plot, all through run().
func TestEndToEnd(t *testing.T) {
	cfg := writeTiny(t)
	work := t.TempDir()
	t.Chdir(work)
	out := filepath.Join(work, "out", "tiny.json")
	plotDir := filepath.Join(work, "plots")

	stdout, stderr := mustRun(t, exitOK, "run", "-o", out, "-plots", plotDir, cfg)
	checkFile(t, out, []string{results.ParamsString(nil)}, 2)
	for _, want := range []string{"config tiny", "none", "invalidate", "read", "punch", "fsck"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary does not contain %q:\n%s", want, stdout)
		}
	}
	// Short, and ending with its answer: the fastest and slowest cell per op.
	printed := strings.Split(strings.TrimSpace(stdout), "\n")
	errLines := strings.Count(stderr, "\n")
	if last := printed[len(printed)-1]; len(printed)+errLines >= 40 || !strings.HasPrefix(last, "punch") {
		t.Errorf("%d lines of output, the last %q not the answer's:\n%s", len(printed)+errLines, last, stdout)
	}
	if !strings.Contains(stderr, "rwbench: results written to "+out+"\n") || !strings.Contains(stderr, "plots written to "+plotDir) {
		t.Errorf("stderr:\n%s", stderr)
	}
	pngs, _ := filepath.Glob(filepath.Join(plotDir, "*.png"))
	svgs, _ := filepath.Glob(filepath.Join(plotDir, "*.svg"))
	if len(pngs) == 0 || len(svgs) != 0 {
		t.Errorf("plots: %d png, %d svg; want PNGs only", len(pngs), len(svgs))
	}
	for _, p := range pngs {
		if b, err := os.ReadFile(p); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG (%v)", p, err)
		}
	}
	if _, err := os.Stat("results"); err == nil {
		t.Error("results/ created although -o was given")
	}

	t.Run("report markdown", func(t *testing.T) {
		stdout, _ := mustRun(t, exitOK, "report", "-format", "markdown", out)
		if !strings.Contains(stdout, "|") || !strings.Contains(stdout, "invalidate") {
			t.Errorf("markdown:\n%s", stdout)
		}
	})
	t.Run("report benchfmt", func(t *testing.T) {
		stdout, _ := mustRun(t, exitOK, "report", "-format", "benchfmt", out)
		var bench int
		for line := range strings.SplitSeq(stdout, "\n") {
			if strings.HasPrefix(line, "Benchmark") {
				bench++
				if !strings.Contains(line, "strategy=") {
					t.Errorf("benchmark line without a strategy key: %s", line)
				}
			}
		}
		if bench < 2*2 { // a line per cell and run at least
			t.Errorf("%d benchmark lines:\n%s", bench, stdout)
		}
	})
	t.Run("report text and csv", func(t *testing.T) {
		for _, format := range []string{"text", "csv"} {
			if stdout, _ := mustRun(t, exitOK, "report", "-format", format, out); !strings.Contains(stdout, "invalidate") {
				t.Errorf("%s:\n%s", format, stdout)
			}
		}
		mustRun(t, exitUsage, "report", "-format", "html", out)
	})
	t.Run("compare with itself", func(t *testing.T) {
		// Two runs a side cannot show a change: inconclusive, not a pass.
		stdout, _ := mustRun(t, exitInconclusive, "compare", out, out)
		if !strings.Contains(stdout, "INCONCLUSIVE") {
			t.Errorf("comparison:\n%s", stdout)
		}
		stdout, _ = mustRun(t, exitInconclusive, "compare", "-format", "json", out, out)
		if !json.Valid([]byte(stdout)) {
			t.Errorf("compare -format json is not JSON:\n%s", stdout)
		}
	})
	t.Run("plot", func(t *testing.T) {
		dir := filepath.Join(work, "plot-svg")
		stdout, _ := mustRun(t, exitOK, "plot", "-o", dir, "-format", "svg", out)
		written := strings.Fields(stdout)
		if len(written) != len(pngs) {
			t.Errorf("plot wrote %d svgs, run -plots %d pngs", len(written), len(pngs))
		}
		for _, w := range written {
			if filepath.Ext(w) != ".svg" || filepath.Dir(w) != dir {
				t.Errorf("plot wrote %s", w)
			}
		}
		mustRun(t, exitUsage, "plot", "-format", "gif", out)
	})
}

// TestEndToEndSweep runs the tiny config with a sweep given by -set, writing
// the results where the README says (results/<name>-<UTC time>.json).
func TestEndToEndSweep(t *testing.T) {
	cfg := writeTiny(t)
	work := t.TempDir()
	t.Chdir(work)
	mustRun(t, exitOK, "run", "-q", "-set", "sweep.param=jobs[0].threads", "-set", "sweep.values=1,2", cfg)
	found, _ := filepath.Glob(filepath.Join("results", "tiny-*.json"))
	if len(found) != 1 {
		t.Fatalf("results files: %v, want one results/tiny-<UTC time>.json", found)
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(found[0]), "tiny-"), ".json")
	if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
		t.Errorf("results file %s: %v", found[0], err)
	}
	p := func(v string) string { return results.ParamsString(map[string]string{"jobs[0].threads": v}) }
	f := checkFile(t, found[0], []string{p("1"), p("2")}, 2)
	var resolved struct {
		Sweep struct {
			Param  string   `json:"param"`
			Values []string `json:"values"`
		} `json:"sweep"`
	}
	if err := json.Unmarshal(f.Config, &resolved); err != nil || resolved.Sweep.Param != "jobs[0].threads" || !slices.Equal(resolved.Sweep.Values, []string{"1", "2"}) {
		t.Errorf("config in the results: sweep %+v (%v)", resolved.Sweep, err)
	}
}

// TestInterruptBinary sends SIGINT to the built binary during a 5 s run: it
// exits 130 with partial results written.
func TestInterruptBinary(t *testing.T) {
	bin := buildBinary(t)

	cfg := filepath.Join(t.TempDir(), "long.yaml")
	long := edit(t, edit(t, tiny, "name: tiny", "name: long"), "duration: 300ms", "duration: 5s")
	if err := os.WriteFile(cfg, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	work, tmp := t.TempDir(), t.TempDir()
	out := filepath.Join(work, "long.json")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "-q", "-o", out, cfg)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	err := cmd.Wait()
	t.Logf("exited %v after SIGINT", time.Since(sent))
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupt {
		t.Fatalf("exit code %d (%v), want %d\nstderr:\n%s", code, err, exitInterrupt, stderr.String())
	}
	if d := time.Since(sent); d > 3*time.Second {
		t.Errorf("exited %v after SIGINT", d)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"partial": true`)) {
		t.Errorf("results file is not marked partial:\n%.500s", raw)
	}
	f, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Partial || len(f.Results) != 2 || len(f.Results[0].Runs) != 1 || f.Results[0].Runs[0].Ops["read"].Count == 0 {
		t.Errorf("partial %v, cells %d, first cell's runs %+v", f.Partial, len(f.Results), f.Results[0].Runs)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; last != "rwbench: interrupted; partial results in "+out {
		t.Errorf("last line of stderr: %q", last)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout with -q:\n%s", stdout.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}
