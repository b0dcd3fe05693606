package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"golang.org/x/sys/unix"
)

// faultConfig runs invalidate, which never returns stale data, on a memory
// store with the faults given (a backend.faults mapping).
func faultConfig(faults string) string {
	return `name: faults
backend: {kind: memory, size: 16MiB, faults: ` + faults + `}
cache: {size: 1MiB}
files: {count: 2, size: 2MiB}
strategies: [invalidate]
duration: 1500ms
warmup: 0s
interval: 100ms
repeat: 1
jobs:
  - {op: read, threads: 2}
  - {op: write, threads: 1, rate: 500}
  - {op: punch, threads: 1, rate: 20}
`
}

// TestInjectedFaults: I/O errors injected under the model are errors of their
// ops, never stale data or corruption; the run fails (exit 1) naming the
// first failure's store, blocks, offset and errno, unless the config says
// errors are expected.
func TestInjectedFaults(t *testing.T) {
	// Without a prefill (noPrefill), the run starts as soon as the store is
	// open, so faults timed from its opening fall in the measurement, however
	// slow the machine; the writes allocate blocks from 1 on.
	for _, tc := range []struct {
		name, faults string
		noPrefill    bool
		expect       bool
		failedOps    []string // ops that must have failed
		checkOK      bool     // the after-run check passes
	}{
		// Blocks 100-400 of 4096 (the prefilled files are blocks 1-1024).
		{"read EIO", "{read_eio: 100-400}", false, false, []string{"read"}, false},
		{"read EIO expected", "{read_eio: 100-400}", false, true, []string{"read"}, false},
		// The first 200 blocks take no write: their pages stay dirty, and every
		// writeback of them fails again.
		{"write EIO", "{write_eio: 1-200}", true, false, []string{"write"}, false},
		{"dead disk", "{dead_after: 500ms}", true, false, []string{"write"}, false},
		// A 500ms outage: what failed is retried after it; the check passes.
		{"outage", "{dead_after: 300ms, dead_for: 500ms}", true, false, []string{"write"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			cfg := faultConfig(tc.faults)
			if tc.noPrefill {
				cfg = strings.Replace(cfg, "size: 2MiB}", "size: 2MiB, prefill: false}", 1)
			}
			if tc.expect {
				cfg += "expect_errors: true\n"
			}
			out := filepath.Join(t.TempDir(), "out.json")
			code, _, stderr := rwbench("run", "-q", "-o", out, writeConfig(t, t.TempDir(), cfg))
			want := exitFail
			if tc.expect {
				want = exitOK
			}
			if code != want {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, want, stderr)
			}
			f, err := results.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Results[0].Runs) != 1 {
				t.Fatalf("no run measured\nstderr:\n%s", stderr)
			}
			r := f.Results[0].Runs[0]
			for _, op := range tc.failedOps {
				if r.Ops[op].Errors == 0 {
					t.Errorf("%s: no errors counted: %+v", op, r.Ops[op])
				}
			}
			if v := r.Verify; v.Stale != 0 || v.Foreign != 0 || v.Corrupt != 0 || len(r.Fsck.Errors) != 0 {
				t.Errorf("I/O errors became findings: stale %d foreign %d corrupt %d, fsck %q", v.Stale, v.Foreign, v.Corrupt, r.Fsck.Errors)
			}
			if r.Fsck.Ok != tc.checkOK {
				t.Errorf("fsck %+v, want ok %v", r.Fsck, tc.checkOK)
			}
			for _, w := range []string{"blockdev: memory: ", " at offset ", "input/output error (EIO)"} {
				if !strings.Contains(r.FirstError, w) {
					t.Errorf("first_error %q lacks %q", r.FirstError, w)
				}
			}
			if !strings.Contains(stderr, "rwbench: invalidate rep 1: failed operations: ") {
				t.Errorf("stderr does not summarise the failed operations:\n%s", stderr)
			}
			if !tc.expect && !strings.Contains(stderr, "operations failed (first: invalidate: ") {
				t.Errorf("stderr does not say why the run failed:\n%s", stderr)
			}
			code, report, _ := rwbench("report", out)
			if code != 0 || !strings.Contains(report, "errors") {
				t.Errorf("report (exit %d) has no errors column:\n%s", code, report)
			}
		})
	}
}

// usageLine checks an exit 2 with one line on stderr containing want.
func usageLine(t *testing.T, code int, stderr string, want ...string) {
	t.Helper()
	if code != exitUsage {
		t.Errorf("exit %d, want %d\nstderr:\n%s", code, exitUsage, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "rwbench: ") {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q: %s", w, stderr)
		}
	}
}

// TestOutputPath: -o must name a regular file or a new one in a writable
// directory; anything else is refused before the run, and a device node is
// never replaced. The device nodes are made in a temporary directory.
func TestOutputPath(t *testing.T) {
	cfg := writeTiny(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	type node struct {
		name         string
		major, minor uint32 // a character device, as /dev/null (1, 3) and /dev/full (1, 7)
	}
	for _, tc := range []struct {
		name, path string
		node       *node
		want       string
	}{
		{"directory", dir, nil, "is a directory"},
		{"under a file", filepath.Join(file, "out.json"), nil, "not a directory"},
		{"null device", filepath.Join(dir, "null"), &node{"null", 1, 3}, "is a character device, not a regular file"},
		{"full device", filepath.Join(dir, "full"), &node{"full", 1, 7}, "is a character device, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.node != nil {
				if os.Geteuid() != 0 {
					t.Skip("mknod needs root")
				}
				if err := unix.Mknod(tc.path, unix.S_IFCHR|0o666, int(unix.Mkdev(tc.node.major, tc.node.minor))); err != nil {
					t.Skipf("mknod: %v", err)
				}
			}
			start := time.Now()
			code, _, stderr := rwbench("run", "-q", "-o", tc.path, cfg)
			usageLine(t, code, stderr, "-o "+tc.path, tc.want)
			if d := time.Since(start); d > time.Second {
				t.Errorf("refused after %v: the run went ahead", d)
			}
			if tc.node != nil {
				var st unix.Stat_t
				if err := unix.Stat(tc.path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(tc.node.major, tc.node.minor) {
					t.Errorf("the device node was replaced: %+v %v", st, err)
				}
			}
		})
	}
	t.Run("unwritable directory", func(t *testing.T) {
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 { // root writes in any directory, not on a read-only mount
			if err := unix.Mount("rwbench-test", ro, "tmpfs", unix.MS_RDONLY, "size=4m"); err != nil {
				t.Skipf("mount: %v", err)
			}
			t.Cleanup(func() { unix.Unmount(ro, 0) })
		}
		code, _, stderr := rwbench("run", "-q", "-o", filepath.Join(ro, "out.json"), cfg)
		usageLine(t, code, stderr, "is not writable")
	})
	t.Run("full tmpfs", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("mounting a tmpfs needs root")
		}
		mnt := t.TempDir()
		if err := unix.Mount("rwbench-test", mnt, "tmpfs", 0, "size=64k"); err != nil {
			t.Skipf("mount: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(mnt, 0) })
		out := filepath.Join(mnt, "out.json")
		code, _, stderr := rwbench("run", "-q", "-o", out, cfg)
		usageLine(t, code, stderr, "-o "+out, "KiB free")
	})
	t.Run("full filesystem", func(t *testing.T) {
		err := checkOutput(filepath.Join(dir, "out.json"), func(string) (uint64, error) { return 100 << 10, nil })
		if err == nil || !strings.Contains(err.Error(), "100 KiB free") {
			t.Errorf("checkOutput on a full filesystem: %v", err)
		}
	})
}

// TestResultsFallback: when writing the results fails after the run anyway,
// they are kept in a named file in the temporary directory.
func TestResultsFallback(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	res := &results.File{Schema: results.Schema, Name: "lost"}
	err := writeResults(t.TempDir(), res) // a directory: Write refuses to replace it
	if err == nil || !strings.Contains(err.Error(), "they are in "+filepath.Join(tmp, "rwbench-lost-")) {
		t.Fatalf("err = %v, want the fallback named", err)
	}
	kept, _ := filepath.Glob(filepath.Join(tmp, "rwbench-lost-*.json"))
	if len(kept) != 1 {
		t.Fatalf("fallback files: %v", kept)
	}
	if _, err := results.Read(kept[0]); err != nil {
		t.Error(err)
	}
}

// TestSizing: a memory store larger than memory, and more threads than the
// warm-up can set up, are refused in one line, before anything is measured.
func TestSizing(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := writeTiny(t)
	code, _, stderr := rwbench("run", "-q", "-set", "backend.size=1000TiB", cfg)
	usageLine(t, code, stderr, "backend.size 1000TiB is larger than the memory available")
	code, _, stderr = rwbench("run", "-q", "-set", "jobs[0].threads=4096", "-set", "jobs[1].threads=4096",
		"-set", "jobs[2].threads=4096", "-set", "jobs[3].threads=4096", cfg)
	usageLine(t, code, stderr, "jobs: setting up 16384 worker threads would take", "lower the jobs' threads or raise warmup")
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("written: %v", left)
	}
}

// TestImageLock: a second run on the image file of a run in progress is
// refused in one line naming the first one's pid, and the first is unharmed.
func TestImageLock(t *testing.T) {
	image := filepath.Join(t.TempDir(), "shared.img")
	direct := ""
	if isTmpfs(filepath.Dir(image)) {
		direct = ", direct: false"
	}
	cfg := writeConfig(t, t.TempDir(), strings.Replace(phaseConfig("{kind: file, path: "+image+", size: 64MiB"+direct+"}", "0s", "30s", "1"),
		"strategies: [invalidate, none]", "strategies: [invalidate]", 1))
	first := startBinary(t, cfg)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(image); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first run made no image\nstderr:\n%s", first.stderr.String())
		}
	}
	code, _, stderr := rwbench("run", "-q", "-o", filepath.Join(t.TempDir(), "second.json"), cfg)
	usageLine(t, code, stderr, "backend.path "+image+": in use by another rwbench run (pid "+fmt.Sprint(first.cmd.Process.Pid)+")")
	time.Sleep(1500 * time.Millisecond) // into the first run's measurement
	first.signal(t, syscall.SIGINT)
	if code, _ := first.wait(time.Now()); code != exitInterrupt {
		t.Fatalf("first run: exit %d\nstderr:\n%s", code, first.stderr.String())
	}
	f, err := results.Read(first.out)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Results[0].Runs; len(r) != 1 || r[0].Verify.Foreign != 0 || r[0].Verify.Stale != 0 {
		t.Errorf("the first run: %+v", r)
	}
}

// TestImpossibleResults: report and compare refuse a results file with a
// negative count or rate, in one line.
func TestImpossibleResults(t *testing.T) {
	good := filepath.Join(repoRoot, "compare", "testdata", "old.json")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var f results.File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	r := &f.Results[0].Runs[0]
	for k, s := range r.Ops {
		s.OpsPerSec = -s.OpsPerSec - 1
		r.Ops[k] = s
		break
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := results.Write(bad, &f); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := rwbench("report", bad)
	usageLine(t, code, stderr, bad+": results[0]", "ops_per_sec is -", "impossible")
	code, _, stderr = rwbench("compare", good, bad)
	if code != exitUsage || !strings.Contains(stderr, "impossible") {
		t.Errorf("compare of an impossible file: exit %d\n%s", code, stderr)
	}
}
