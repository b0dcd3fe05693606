package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rwbench/rwbench/compare"
	"github.com/rwbench/rwbench/runner"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// pkgDir is this package's directory, the working directory the tests start in
// (they move to temporary directories with t.Chdir).
var pkgDir = func() string {
	d, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return d
}()

// repoRoot is the module's root.
var repoRoot = filepath.Join(pkgDir, "..", "..")

// rwbench runs the CLI in-process.
func rwbench(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// tiny is a valid config of a second's work on the memory backend; the bad
// configs below edit it. Its lines are numbered for the expected messages.
const tiny = `name: tiny
backend:
  kind: memory
  size: 4MiB
cache:
  size: 512KiB
files:
  count: 2
  size: 1MiB
strategies: [none, invalidate]
duration: 300ms
warmup: 100ms
interval: 100ms
repeat: 2
jobs:
  - op: read
    threads: 1
  - op: write
    threads: 1
  - op: fault
    threads: 1
  - op: punch
    threads: 1
    rate: 50
`

// edit replaces old, which must occur exactly once in s, by new.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the config, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			files[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, b := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("%s: %s was removed", what, name)
		} else if a != b {
			t.Errorf("%s: %s changed", what, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s: %s was created", what, name)
		}
	}
}

const tmpfsMagic = 0x01021994

func isTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}

// TestBadInput: bad input exits 2 with one line on stderr naming the problem
// (the key and its line for a config), prints nothing on stdout and writes
// nothing: no results directory, no change to any file it was pointed at.
func TestBadInput(t *testing.T) {
	dir := t.TempDir() // the configs and other input files
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	victim := write("victim.img", "somebody's data, not an rwbench image\n")
	notResults := write("not-results.json", `{"name": "x", "results": []}`+"\n")
	cfgDir := filepath.Join(dir, "configs.yaml")
	if err := os.Mkdir(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shm := filepath.Join("/dev/shm", fmt.Sprintf("rwbench-test-%d.img", os.Getpid()))
	tinyPath := write("tiny.yaml", tiny)

	type tc struct {
		name   string
		config string   // written to bad.yaml and passed last when args has no {}
		args   []string // "{}" is replaced by the bad.yaml path
		want   []string // substrings of the one line after "rwbench: "
		skip   string
	}
	cases := []tc{
		{name: "wrong type", config: edit(t, tiny, "  - op: read\n    threads: 1", "  - op: read\n    threads: many"),
			want: []string{"bad.yaml:17: jobs[0].threads: want an integer", `"many"`}},
		{name: "unknown top-level key", config: tiny + "colour: blue\n",
			want: []string{"bad.yaml:25: colour: unknown key"}},
		{name: "unknown nested key", config: edit(t, tiny, "  size: 512KiB\n", "  size: 512KiB\n  sise: 1MiB\n"),
			want: []string{"bad.yaml:7: cache.sise: unknown key", "did you mean size?"}},
		{name: "unknown key in a job", config: edit(t, tiny, "    rate: 50\n", "    rate: 50\n    rat: 5\n"),
			want: []string{"bad.yaml:25: jobs[3].rat: unknown key"}},
		{name: "zero cache size", config: edit(t, tiny, "size: 512KiB", "size: 0"),
			want: []string{"bad.yaml:6: cache.size: must be > 0"}},
		{name: "negative file size", config: edit(t, tiny, "size: 1MiB", "size: -1MiB"),
			want: []string{"bad.yaml:9: files.size: must not be negative"}},
		{name: "zero file count", config: edit(t, tiny, "count: 2", "count: 0"),
			want: []string{"bad.yaml:8: files.count: must be between 1 and", "got 0"}},
		{name: "negative threads", config: edit(t, tiny, "  - op: write\n    threads: 1", "  - op: write\n    threads: -1"),
			want: []string{"bad.yaml:19: jobs[1].threads: must be >= 0, got -1"}},
		{name: "zero repeat", config: edit(t, tiny, "repeat: 2", "repeat: 0"),
			want: []string{"bad.yaml:14: repeat: must be >= 1, got 0"}},
		{name: "negative duration", config: edit(t, tiny, "duration: 300ms", "duration: -1s"),
			want: []string{"bad.yaml:11: duration: must be > 0"}},
		{name: "bs not a block multiple with verify on",
			config: edit(t, tiny, "  - op: read\n    threads: 1\n", "  - op: read\n    threads: 1\n    bs: 6000\n") + "verify: full\n",
			want:   []string{"bad.yaml:18: jobs[0].bs: must be a multiple of 4KiB", "6000B"}},
		{name: "files larger than the image", config: edit(t, tiny, "size: 1MiB", "size: 8MiB"),
			want: []string{"bad.yaml:9: files.size: 2 files of 8MiB need backend.size >=", "got 4MiB"}},
		{name: "unknown strategy", config: edit(t, tiny, "[none, invalidate]", "[none, bogus]"),
			want: []string{`bad.yaml:10: strategies[1]: unknown strategy "bogus"`, "invalidate"}},
		{name: "unknown op", config: edit(t, tiny, "op: fault", "op: explode"),
			want: []string{`bad.yaml:20: jobs[2].op: unknown op "explode"`, "mkwrite"}},
		{name: "config is a directory", args: []string{"run", cfgDir},
			want: []string{"config " + cfgDir + ": is a directory"}},
		{name: "missing config", args: []string{"run", filepath.Join(dir, "missing.yaml")},
			want: []string{"config " + filepath.Join(dir, "missing.yaml") + ": no such file"}},
		{name: "image on tmpfs with O_DIRECT",
			config: edit(t, tiny, "  kind: memory\n", "  kind: file\n  path: "+shm+"\n  direct: true\n"),
			want:   []string{"backend.path " + shm + ":", "tmpfs"},
			skip:   map[bool]string{false: "/dev/shm is not a tmpfs"}[isTmpfs("/dev/shm")]},
		{name: "image path holds a file rwbench did not format",
			config: edit(t, tiny, "  kind: memory\n", "  kind: file\n  path: "+victim+"\n"),
			want:   []string{"backend.path " + victim + ": exists and was not formatted by rwbench", "backend.force"}},
		{name: "set without =", args: []string{"run", "-set", "nokey", tinyPath},
			want: []string{`-set "nokey": want key=value`}},
		{name: "set of an unknown key", args: []string{"run", "-set", "cache.sise=1", tinyPath},
			want: []string{"-set cache.sise=1: cache.sise: unknown key"}},
		{name: "set of a bad value", args: []string{"run", "-set", "repeat=0", tinyPath},
			want: []string{tinyPath + ": repeat: must be >= 1, got 0"}},
		{name: "two configs", args: []string{"run", tinyPath, tinyPath},
			want: []string{"run takes one config file, got 2 arguments"}},
		{name: "unknown command", args: []string{"frob"},
			want: []string{`unknown command "frob"`}},
		{name: "compare with one file", args: []string{"compare", notResults},
			want: []string{"got 1 arguments"}},
		{name: "compare of a config", args: []string{"compare", tinyPath, tinyPath},
			want: []string{tinyPath + ": not an rwbench results file"}},
		{name: "report of a config", args: []string{"report", tinyPath},
			want: []string{tinyPath + ": not an rwbench results file"}},
		{name: "report of JSON without a schema", args: []string{"report", notResults},
			want: []string{notResults + ": no schema number: not an rwbench results file"}},
		{name: "report of nothing", args: []string{"report"},
			want: []string{"report needs at least one results file"}},
		{name: "plot of a config", args: []string{"plot", "-o", filepath.Join(dir, "plots"), tinyPath},
			want: []string{tinyPath + ": not an rwbench results file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			args := c.args
			if c.config != "" {
				args = []string{"run", write("bad.yaml", c.config)}
				defer os.Remove(args[1])
			}
			before := snapshot(t, dir)
			cwd := t.TempDir()
			t.Chdir(cwd)

			code, stdout, stderr := rwbench(args...)

			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			first, rest, _ := strings.Cut(stderr, "\n")
			switch {
			case !strings.HasPrefix(stderr, "rwbench: ") || !strings.HasSuffix(stderr, "\n") || rest != "":
				t.Errorf("stderr is not one line starting with \"rwbench: \":\n%s", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(first, w) {
					t.Errorf("the first line of stderr does not contain %q:\n%s", w, stderr)
				}
			}
			if left, err := os.ReadDir(cwd); err != nil || len(left) != 0 {
				t.Errorf("written to the working directory: %v %v", left, err)
			}
			sameFiles(t, dir, before, snapshot(t, dir))
			if _, err := os.Lstat(shm); !errors.Is(err, fs.ErrNotExist) {
				os.Remove(shm)
				t.Errorf("%s was created", shm)
			}
		})
	}
}

// TestBadFlag: flag errors exit 2; the flag package prints the error and the usage.
func TestBadFlag(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"run", "-bogus"},
		{"report", "-format"},
		{"compare", "-alpha", "x", "a.json", "b.json"},
		{"plot", "-o"},
	} {
		code, stdout, stderr := rwbench(args...)
		if code != exitUsage || stdout != "" || !strings.Contains(strings.ToLower(stderr), "usage: rwbench "+args[0]) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s", args, code, stdout, stderr)
		}
	}
	if code, _, stderr := rwbench(); code != exitUsage || !strings.Contains(stderr, "Run 'rwbench COMMAND -h'") {
		t.Errorf("no arguments: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestExitCode is the mapping of errors to exit codes, including a stall or an
// interrupt that reaches exitCode wrapped, and compare's outcomes.
func TestExitCode(t *testing.T) {
	stalled := fmt.Errorf("none: %w for 10s", runner.ErrStalled)
	for _, tc := range []struct {
		name string
		err  error
		code int
		out  string // stderr, "" for none
	}{
		{"nil", nil, exitOK, ""},
		{"help", errHelp, exitOK, ""},
		{"flag", errFlag, exitUsage, ""},
		{"usage", usagef("config x.yaml: no such file"), exitUsage, "rwbench: config x.yaml: no such file\n"},
		{"wrapped usage", fmt.Errorf("loading: %w", usagef("bad")), exitUsage, "rwbench: bad\n"},
		{"stalled, from run", fmt.Errorf("%w; partial results in x.json", stalled), exitStalled,
			"rwbench: none: watchdog: no operation completed for 10s; partial results in x.json\n"},
		{"stalled, wrapped", fmt.Errorf("cell 3: %w", stalled), exitStalled, "rwbench: cell 3: none: watchdog: no operation completed for 10s\n"},
		{"stalled, and the results could not be written", errors.Join(stalled, errors.New("write out.json: disk full")),
			exitStalled, "rwbench: none: watchdog: no operation completed for 10s; write out.json: disk full\n"},
		{"interrupted by SIGTERM", interrupted{syscall.SIGTERM, errors.New("interrupted; partial results in x.json")}, 143,
			"rwbench: interrupted; partial results in x.json\n"},
		{"interrupted, no signal", interrupted{0, errors.New("interrupted; partial results in x.json")}, exitInterrupt,
			"rwbench: interrupted; partial results in x.json\n"},
		{"interrupted, wrapped", fmt.Errorf("run: %w", context.Canceled), exitInterrupt, "rwbench: run: context canceled\n"},
		{"interrupted, results not written", failure{errors.Join(context.Canceled, errors.New("write out.json: disk full"))}, exitFail,
			"rwbench: context canceled; write out.json: disk full\n"},
		{"regression", outcome{compare.OutcomeRegression}, exitFail, ""},
		{"no regression", outcome{compare.OutcomeNone}, exitOK, ""},
		{"inconclusive", outcome{compare.OutcomeInconclusive}, exitInconclusive, ""},
		{"other", errors.New("boom"), exitFail, "rwbench: boom\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := exitCode(tc.err, &stderr); code != tc.code {
				t.Errorf("exitCode = %d, want %d", code, tc.code)
			}
			if stderr.String() != tc.out {
				t.Errorf("stderr = %q, want %q", stderr.String(), tc.out)
			}
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(pkgDir, "testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		stdout, stderr string // golden file names; "" means empty
	}{
		{[]string{"list"}, "list.golden", ""},
		{[]string{"run", "-h"}, "", "run-h.golden"},
		{[]string{"version"}, "version.golden", ""},
		{[]string{"help"}, "help.golden", ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := rwbench(tc.args...)
			if code != exitOK {
				t.Errorf("exit code %d, stderr:\n%s", code, stderr)
			}
			for _, o := range []struct{ name, got string }{{tc.stdout, stdout}, {tc.stderr, stderr}} {
				if o.name == "" {
					if o.got != "" {
						t.Errorf("unexpected output:\n%s", o.got)
					}
					continue
				}
				golden(t, o.name, o.got)
			}
		})
	}
}

// TestHelp: every command's -h exits 0 with usage, flags and examples on stderr.
// compare's usage has more text and its examples after a blank line.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"run", "list", "report", "plot", "compare"} {
		for _, h := range []string{"-h", "-help", "--help"} {
			code, stdout, stderr := rwbench(cmd, h)
			if code != exitOK || stdout != "" {
				t.Errorf("%s %s: exit %d, stdout %q", cmd, h, code, stdout)
			}
			if !strings.HasPrefix(strings.ToLower(stderr), "usage: rwbench "+cmd) {
				t.Errorf("%s %s: stderr does not start with the usage:\n%s", cmd, h, stderr)
			}
		}
		_, _, stderr := rwbench(cmd, "-h")
		wants := []string{"\nFlags:\n", "\nExamples:\n  rwbench " + cmd}
		if cmd == "compare" {
			wants = []string{"\nFlags:\n  -alpha"}
		}
		for _, want := range wants {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s -h does not contain %q:\n%s", cmd, want, stderr)
			}
		}
	}
}
