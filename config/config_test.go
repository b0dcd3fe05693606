package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/configs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func known() config.Known {
	return config.Known{
		Strategies: []string{"none", "irwsem", "perpage", "perbatch", "invalidate"},
		Ops:        []string{"read", "write", "fault", "mkwrite", "punch", "truncate", "zero", "advise"},
		Backends:   []string{"file", "blockdev", "memory"},
	}
}

// base is a valid config of 10 lines; cases append to it from line 11.
const base = `name: t
strategies: [none, irwsem]
backend:
  size: 256MiB
files:
  count: 2
  size: 16MiB
jobs:
  - op: read
    threads: 2
`

// load parses, fills defaults and validates, as `rwbench run` does.
func load(data string) (*config.Config, error) {
	c, err := config.Parse([]byte(data), "t.yaml")
	if err != nil {
		return nil, err
	}
	c.Defaults()
	return c, c.Validate(known())
}

func TestBase(t *testing.T) {
	if _, err := load(base); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		// Decoding.
		{"wrong type", base + "  - op: write\n    threads: many\n",
			`t.yaml:12: jobs[1].threads: want an integer, got "many"`},
		{"float for int", base + "  - op: write\n    threads: 1.5\n",
			`t.yaml:12: jobs[1].threads: want an integer, got 1.5`},
		{"bool", base + "lock_stats: yes\n",
			`t.yaml:11: lock_stats: want true or false, got "yes"`},
		{"mapping for string", base + "  - op: {a: 1}\n",
			`t.yaml:11: jobs[1].op: want a string, got a mapping`},
		{"scalar for list", "name: t\nstrategies: none\n",
			`t.yaml:2: strategies: want a list, got "none"`},
		{"list for mapping", base + "cache: [1]\n",
			`t.yaml:11: cache: want a mapping, got a list`},
		{"int overflow", base + "seed: 99999999999999999999\n",
			`t.yaml:11: seed: 99999999999999999999 is out of range for an integer`},
		{"unknown key top level", base + "bogus: 1\n",
			`t.yaml:11: bogus: unknown key`},
		{"unknown key nested", base + "cache:\n  sise: 1MiB\n",
			`t.yaml:12: cache.sise: unknown key (did you mean size?)`},
		{"unknown key in job", base + "  - op: read\n    thread: 1\n",
			`t.yaml:12: jobs[1].thread: unknown key (did you mean threads?)`},
		{"duplicate key", base + "cache:\n  size: 1MiB\n  size: 2MiB\n",
			`t.yaml:13: cache.size: duplicate key (first at line 12)`},
		{"duplicate top-level key", base + "name: u\n",
			`t.yaml:11: name: duplicate key (first at line 1)`},
		{"bad duration", base + "duration: 5 seconds\n",
			`t.yaml:11: duration: invalid duration "5 seconds": want Go syntax like 5s or 100ms`},
		{"duration without unit", base + "warmup: 5\n",
			`t.yaml:11: warmup: missing unit in duration 5: write 5s or 5ms`},
		{"bad size string", base + "cache:\n  size: 4 potatoes\n",
			`t.yaml:12: cache.size: invalid size "4 potatoes": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"ambiguous size unit", base + "cache:\n  size: 10MB\n",
			`t.yaml:12: cache.size: ambiguous unit in "10MB": write MiB (binary) or a byte count`},
		{"negative size", base + "cache:\n  readahead: -4KiB\n",
			`t.yaml:12: cache.readahead: must not be negative, got "-4KiB"`},
		{"negative size integer", base + "cache:\n  readahead: -4096\n",
			`t.yaml:12: cache.readahead: must not be negative, got -4096`},
		{"syntax error", "name: [t\n",
			`t.yaml:1: syntax error: sequence end token ']' not found`},
		{"not a mapping", "- a\n",
			`t.yaml:1: a config must be a mapping of keys, got a list`},
		{"empty", "# nothing\n", `t.yaml: empty config`},
		{"two documents", base + "---\nname: u\n", `t.yaml:12: more than one YAML document`},
		{"tag", base + "lock_stats: !!str true\n", `t.yaml:11: lock_stats: YAML tags like !!str are not supported`},
		{"unknown alias", base + "  - op: *nope\n", `t.yaml:11: jobs[1].op: unknown alias *nope`},

		// Validation.
		{"name missing", "strategies: [none]\njobs: [{op: read}]\n", `t.yaml: name: required`},
		{"name unsafe", strings.Replace(base, "name: t", "name: ../x", 1),
			`t.yaml:1: name: must be 1 to 100 characters of a-z 0-9 . _ - (it names files), got "../x"`},
		{"zero size", base + "cache:\n  size: 0\n",
			`t.yaml:12: cache.size: must be > 0, got 0`},
		{"zero size default dependent", base + "cache:\n  dirty_limit: 0\n",
			`t.yaml:12: cache.dirty_limit: must be > 0, got 0`},
		{"dirty above cache", base + "cache:\n  size: 64MiB\n  dirty_limit: 128MiB\n",
			`t.yaml:13: cache.dirty_limit: cache.dirty_limit (128MiB) must be <= cache.size (64MiB)`},
		{"size not a block multiple", base + "cache:\n  readahead: 1000\n",
			`t.yaml:12: cache.readahead: must be a multiple of 4KiB (the block size), got 1000B`},
		{"zero count", strings.Replace(base, "count: 2", "count: 0", 1),
			`t.yaml:6: files.count: must be between 1 and 65536, got 0`},
		{"negative threads", base + "  - op: write\n    threads: -2\n",
			`t.yaml:12: jobs[1].threads: must be >= 0, got -2`},
		{"zero repeat", base + "repeat: 0\n", `t.yaml:11: repeat: must be >= 1, got 0`},
		{"zero duration", base + "duration: 0s\n", `t.yaml:11: duration: must be > 0, got 0s`},
		{"negative warmup", base + "warmup: -1s\n", `t.yaml:11: warmup: must be >= 0, got -1s`},
		{"bs not a multiple of 4KiB with verify", "verify: full\n" + base + "  - op: write\n    bs: 6KiB\n",
			`t.yaml:13: jobs[1].bs: must be a multiple of 4KiB (the block size), got 6KiB`},
		{"bs larger than the file", base + "  - op: write\n    bs: 32MiB\n",
			`t.yaml:12: jobs[1].bs: bs (32MiB) must be <= files.size (16MiB)`},
		{"files larger than the image", strings.Replace(base, "size: 256MiB", "size: 32MiB", 1),
			`t.yaml:7: files.size: 2 files of 16MiB need backend.size >= 34MiB (32MiB + 1% + 1MiB for metadata), got 32MiB`},
		{"files larger than the default image", strings.Replace(base, "  size: 16MiB", "  size: 1GiB", 1),
			`t.yaml:7: files.size: 2 files of 1GiB need backend.size >= 2070MiB (2GiB + 1% + 1MiB for metadata), got 256MiB`},
		{"files larger than the real filesystem's image", base + "realfs:\n  image_size: 32MiB\n",
			`t.yaml:12: realfs.image_size: 2 files of 16MiB need realfs.image_size > 32MiB (with room for the filesystem's metadata), got 32MiB`},
		{"unknown strategy", strings.Replace(base, "[none, irwsem]", "[none, irwsem,\n  rangelock]", 1),
			`t.yaml:3: strategies[2]: unknown strategy "rangelock": want one of none, irwsem, perpage, perbatch, invalidate`},
		{"strategy twice", strings.Replace(base, "[none, irwsem]", "[none, none]", 1),
			`t.yaml:2: strategies[1]: "none" is listed twice`},
		{"no strategies", strings.Replace(base, "strategies: [none, irwsem]", "strategies: []", 1),
			`t.yaml:2: strategies: required: list one or more of none, irwsem, perpage, perbatch, invalidate`},
		{"unknown op", base + "  - op: fsync\n",
			`t.yaml:11: jobs[1].op: unknown op "fsync": want one of read, write, fault, mkwrite, punch, truncate, zero, advise`},
		{"missing op", base + "  - threads: 1\n",
			`t.yaml: jobs[1].op: required: one of read, write, fault, mkwrite, punch, truncate, zero, advise`},
		{"unknown pattern", base + "  - op: read\n    pattern: random\n",
			`t.yaml:12: jobs[1].pattern: unknown pattern "random": want one of seq, rand, zipf`},
		{"zipf exponent", base + "  - op: read\n    pattern: zipf\n    zipf: 0.9\n",
			`t.yaml:13: jobs[1].zipf: must be > 1, got 0.9`},
		{"zipf without zipf", base + "  - op: read\n    zipf: 1.2\n",
			`t.yaml:12: jobs[1].zipf: only for pattern zipf, not rand`},
		{"bad verify", base + "verify: some\n",
			`t.yaml:11: verify: unknown mode "some": want one of off, header, full`},
		{"file index out of range", base + "  - op: read\n    files: 1-2\n",
			`t.yaml:12: jobs[1].files: file 2 out of range: files.count is 2`},
		{"bad file selector", base + "  - op: read\n    files: first\n",
			`t.yaml:12: jobs[1].files: invalid selector "first": want all, an index like 0, a range like 0-3 or a list like 1,3`},
		{"length not a multiple", base + "  - op: punch\n    length: 1000\n",
			`t.yaml:12: jobs[1].length: must be a multiple of 4KiB (the block size), got 1000B`},
		{"length on a read", base + "  - op: read\n    length: 64KiB\n",
			`t.yaml:12: jobs[1].length: only for punch, zero, truncate and advise, not read`},
		{"refault on a read", base + "  - op: read\n    refault: false\n",
			`t.yaml:12: jobs[1].refault: only for fault and mkwrite, not read`},
		{"region past the end", base + "  - op: read\n    region: {offset: 8MiB, size: 16MiB}\n",
			`t.yaml:12: jobs[1].region.size: region 8MiB+16MiB ends past the end of the file (files.size 16MiB)`},
		{"negative rate", base + "  - op: punch\n    rate: -1\n",
			`t.yaml:12: jobs[1].rate: must be >= 0 ops/s (0 is a closed loop), got -1`},
		{"duplicate job name", base + "    name: r\n  - op: write\n    name: r\n",
			`t.yaml:13: jobs[1].name: "r" is also the name of jobs[0]`},
		{"no running job", strings.Replace(base, "threads: 2", "threads: 0", 1),
			`t.yaml:8: jobs: no job has threads > 0`},
		{"no jobs", "name: t\nstrategies: [none]\n", `t.yaml: jobs: required: at least one job`},
		{"blockdev without a path", strings.Replace(base, "backend:\n", "backend:\n  kind: blockdev\n", 1),
			`t.yaml: backend.path: required for kind blockdev`},
		{"unknown backend", strings.Replace(base, "backend:\n", "backend:\n  kind: nfs\n", 1),
			`t.yaml:4: backend.kind: unknown backend "nfs": want one of file, blockdev, memory`},
		{"latency without memory", strings.Replace(base, "backend:\n", "backend:\n  latency: 1ms\n", 1),
			`t.yaml:4: backend.latency: only for kind memory, not file`},
		{"bandwidth without memory", strings.Replace(base, "backend:\n", "backend:\n  bandwidth: 100MiB\n", 1),
			`t.yaml:4: backend.bandwidth: only for kind memory, not file`},
		{"queue depth zero", strings.Replace(base, "backend:\n", "backend:\n  queue_depth: 0\n", 1),
			`t.yaml:4: backend.queue_depth: must be between 1 and 10240 I/Os, got 0`},
		{"queue depth too deep", strings.Replace(base, "backend:\n", "backend:\n  queue_depth: 20000\n", 1),
			`t.yaml:4: backend.queue_depth: must be between 1 and 10240 I/Os, got 20000`},
		{"interval above duration", base + "duration: 2s\ninterval: 3s\n",
			`t.yaml:12: interval: interval (3s) must be <= duration (2s)`},
		{"fault around", base + "cache:\n  fault_around: 1000\n",
			`t.yaml:12: cache.fault_around: must be between 0 and 512 pages, got 1000`},

		// Sweeps.
		{"sweep of an unknown key", base + "sweep:\n  param: cache.sise\n  values: [1MiB]\n",
			`t.yaml:12: sweep.param: cache.sise: unknown key (did you mean size?)`},
		{"sweep past the jobs", base + "sweep:\n  param: jobs[3].threads\n  values: [1]\n",
			`t.yaml:12: sweep.param: jobs[3]: index out of range: jobs has 1 entries (index 1 appends one)`},
		{"sweep without values", base + "sweep:\n  param: jobs[0].threads\n",
			`t.yaml: sweep.values: required: at least one value`},
		{"sweep bad value", base + "sweep:\n  param: jobs[0].threads\n  values: [1,\n    many]\n",
			`t.yaml:14: sweep.values[1]: with jobs[0].threads=many: want an integer, got "many"`},
		{"sweep invalid cell", base + "sweep:\n  param: cache.size\n  values: [64MiB, 0]\n",
			`t.yaml:13: sweep.values[1]: with cache.size=0: must be > 0, got 0`},
		{"sweep cell breaks another key", base + "sweep:\n  param: files.size\n  values: [16MiB, 256MiB]\n",
			`t.yaml:13: sweep.values[1]: with files.size=256MiB: 2 files of 256MiB need backend.size >= 519MiB (512MiB + 1% + 1MiB for metadata), got 256MiB`},
		{"sweep value twice", base + "sweep:\n  param: jobs[0].threads\n  values: [1, 1]\n",
			`t.yaml:13: sweep.values[1]: "1" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.yaml)
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a *config.Error", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	_, err := config.Load(missing)
	if err == nil || err.Error() != "config "+missing+": no such file" {
		t.Errorf("Load(missing) = %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error does not wrap fs.ErrNotExist")
	}
	p := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(p, []byte(base+"cache:\n  sise: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(p)
	if want := p + ":12: cache.sise: unknown key (did you mean size?)"; err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %s", err, want)
	}
}

func TestDefaults(t *testing.T) {
	c, err := load(base + "  - op: punch\n  - op: fault\n  - op: read\n    pattern: zipf\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend.Kind != "file" || c.Backend.Size != 256*config.MiB || !*c.Backend.Direct {
		t.Errorf("backend = %+v", c.Backend)
	}
	if c.Cache.Size != 256*config.MiB || c.Cache.DirtyBackground != 26841088 || c.Cache.DirtyLimit != 53686272 ||
		c.Cache.Readahead != 128*config.KiB || c.Cache.FaultAround != 16 || c.Cache.Flusher.D() != 100*time.Millisecond {
		t.Errorf("cache = %+v", c.Cache)
	}
	if c.Duration.D() != 5*time.Second || c.Warmup.D() != time.Second || c.Repeat != 3 || c.Seed != 1 ||
		c.Verify != "header" || c.Interval.D() != time.Second || !c.LockStats || c.RaceWindow != 0 {
		t.Errorf("config = %+v", c)
	}
	j := c.Jobs
	if j[0].Name != "read" || j[0].BS != 4*config.KiB || j[0].Pattern != "rand" || j[0].Files != "all" ||
		j[0].Zipf != 0 || j[0].Length != 0 || j[0].Refault != nil {
		t.Errorf("jobs[0] = %+v", j[0])
	}
	if j[1].Length != 64*config.KiB || j[1].Threads != 1 || j[2].Refault == nil || !*j[2].Refault {
		t.Errorf("jobs[1], jobs[2] = %+v, %+v", j[1], j[2])
	}
	if j[3].Name != "read-3" || j[3].Zipf != 1.1 {
		t.Errorf("jobs[3] = %+v", j[3])
	}
	// The results key a job by its op, by its name when two jobs share the op.
	for i, want := range []string{"read", "punch", "fault", "read-3"} {
		if got := c.JobKey(i); got != want {
			t.Errorf("JobKey(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestGivenZero checks that a zero given in the file is kept, not replaced by a default.
func TestGivenZero(t *testing.T) {
	c, err := load(base + `  - op: write
    threads: 0
  - op: fault
    refault: false
warmup: 0s
seed: 0
lock_stats: false
cache:
  fault_around: 0
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Jobs[1].Threads != 0 || *c.Jobs[2].Refault || c.Warmup != 0 || c.Seed != 0 || c.LockStats || c.Cache.FaultAround != 0 {
		t.Errorf("given zeros were replaced: %s", c.JSON())
	}
	// Null means "not given".
	c, err = load(base + "warmup: ~\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Warmup.D() != time.Second {
		t.Errorf("warmup: ~ gave %v", c.Warmup)
	}
}

func TestAnchors(t *testing.T) {
	c, err := load(`name: t
strategies: [none]
jobs:
  - &reader {op: read, threads: 3, bs: &bs 8KiB}
  - <<: *reader
    threads: 0
    name: idle
  - {op: write, bs: *bs}
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Jobs[1].Op != "read" || c.Jobs[1].Threads != 0 || c.Jobs[1].BS != 8*config.KiB || c.Jobs[2].BS != 8*config.KiB {
		t.Errorf("jobs = %+v", c.Jobs)
	}
	// An alias bomb is an error, not an out-of-memory.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g"} {
		bomb += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
			", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	_, err = config.Parse([]byte("strategies: &a [x, x, x, x, x, x, x, x, x, x]\n"+strings.Replace(bomb, "a: &a [x, x, x, x, x, x, x, x, x, x]\n", "", 1)), "bomb.yaml")
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("alias bomb: %v", err)
	}
}

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		path, value string
		check       func(*config.Config) bool
	}{
		{"jobs[0].threads", "4", func(c *config.Config) bool { return c.Jobs[0].Threads == 4 }},
		{"jobs[0].threads", "0", func(c *config.Config) bool { return c.Jobs[0].Threads == 0 }},
		{"cache.size", "1GiB", func(c *config.Config) bool {
			// The derived defaults follow.
			return c.Cache.Size == config.GiB && c.Cache.DirtyLimit == 214745088
		}},
		{"cache.size", "1073741824", func(c *config.Config) bool { return c.Cache.Size == config.GiB }},
		{"strategies", "none,irwsem, invalidate", func(c *config.Config) bool {
			return reflect.DeepEqual(c.Strategies, []string{"none", "irwsem", "invalidate"})
		}},
		{"strategies", "[perpage]", func(c *config.Config) bool { return reflect.DeepEqual(c.Strategies, []string{"perpage"}) }},
		{"backend.direct", "false", func(c *config.Config) bool { return !*c.Backend.Direct }},
		{"duration", "250ms", func(c *config.Config) bool { return c.Duration.D() == 250*time.Millisecond }},
		{"lock_stats", "false", func(c *config.Config) bool { return !c.LockStats }},
		{"jobs[0].rate", "12.5", func(c *config.Config) bool { return c.Jobs[0].Rate == 12.5 }},
		{"jobs[0].files", "1", func(c *config.Config) bool { return c.Jobs[0].Files == "1" }},
		{"jobs[0].files", "0,1", func(c *config.Config) bool { return c.Jobs[0].Files == "0,1" }},
		{"jobs[0].op", "punch", func(c *config.Config) bool {
			// The name and the length were defaults, so they follow the op.
			return c.Jobs[0].Name == "punch" && c.Jobs[0].Length == 64*config.KiB
		}},
		{"jobs[0].region", "{offset: 4KiB, size: 8KiB}", func(c *config.Config) bool {
			return *c.Jobs[0].Region == config.Region{Offset: 4 * config.KiB, Size: 8 * config.KiB}
		}},
		{"jobs[0].region.size", "1MiB", func(c *config.Config) bool {
			return *c.Jobs[0].Region == config.Region{Size: config.MiB}
		}},
		{"jobs[1]", "{op: advise, rate: 20}", func(c *config.Config) bool {
			return len(c.Jobs) == 2 && c.Jobs[1].Op == "advise" && c.Jobs[1].Rate == 20 && c.Jobs[1].Length == 128*config.KiB
		}},
		{"jobs", "[{op: write}]", func(c *config.Config) bool { return len(c.Jobs) == 1 && c.Jobs[0].Op == "write" }},
		{"cache.readahead", "", func(c *config.Config) bool { return c.Cache.Readahead == 128*config.KiB }},
		{"sweep", "{param: 'jobs[0].threads', values: [1, 2]}", func(c *config.Config) bool {
			return c.Sweep != nil && reflect.DeepEqual(c.Sweep.Values, []string{"1", "2"})
		}},
		{"sweep.values", "1,2,4", func(c *config.Config) bool {
			return c.Sweep != nil && reflect.DeepEqual(c.Sweep.Values, []string{"1", "2", "4"})
		}},
		{"sweep", "null", func(c *config.Config) bool { return c.Sweep == nil }},
		{"description", "a: b, c", func(c *config.Config) bool { return c.Description == "a: b, c" }},
	} {
		t.Run(tc.path+"="+tc.value, func(t *testing.T) {
			c, err := load(base)
			if err != nil {
				t.Fatal(err)
			}
			before := c.Clone()
			if err := c.Set(tc.path, tc.value); err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("after Set: %s", c.JSON())
			}
			if bytes.Equal(before.JSON(), c.JSON()) && tc.value != "" && tc.value != "null" {
				t.Errorf("Set changed nothing")
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	for _, tc := range []struct{ path, value, want string }{
		{"jobs[0].threads", "many", `jobs[0].threads: want an integer, got "many"`},
		{"jobs[5].threads", "1", `jobs[5]: index out of range: jobs has 1 entries (index 1 appends one)`},
		{"cache.sise", "1MiB", `cache.sise: unknown key (did you mean size?)`},
		{"cache.size", "1 potato", `cache.size: invalid size "1 potato": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"cache.size.x", "1", `cache.size: has no key "x": it is a size like 4096 or 64MiB`},
		{"name[0]", "x", `name[0]: cannot index name: it is a string`},
		{"backend.direct", "maybe", `backend.direct: want true or false, got "maybe"`},
		{"duration", "5", `duration: missing unit in duration 5: write 5s or 5ms`},
		{"jobs[0]", "{op: read, thread: 2}", `jobs[0].thread: unknown key (did you mean threads?)`},
		{"jobs[0]", "[1]", `jobs[0]: want a mapping, got a list`},
		{"strategies", "none,,irwsem", `strategies[1]: empty entry in list "none,,irwsem"`},
		{"jobs..threads", "1", `jobs..threads: invalid path "jobs..threads"`},
		{"[0]", "1", `[0]: invalid path "[0]": must start with a key`},
		{"jobs[x]", "1", `jobs[x]: invalid path "jobs[x]": bad index "x"`},
		{"", "1", `empty path`},
		{"cache.size", "[1", `cache.size: syntax error: sequence end token ']' not found`},
	} {
		t.Run(tc.path+"="+tc.value, func(t *testing.T) {
			c, err := load(base)
			if err != nil {
				t.Fatal(err)
			}
			before := string(c.JSON())
			err = c.Set(tc.path, tc.value)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Set(%q, %q)\n got: %v\nwant: %s", tc.path, tc.value, err, tc.want)
			}
			if string(c.JSON()) != before {
				t.Errorf("a failed Set changed the config")
			}
		})
	}
}

// TestSetBeforeDefaults checks that -set before Defaults marks the key given.
func TestSetBeforeDefaults(t *testing.T) {
	c, err := config.Parse([]byte(base), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range [][2]string{{"jobs[0].threads", "0"}, {"warmup", "0s"}, {"jobs[1]", "{op: write}"}} {
		if err := c.Set(s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	c.Defaults()
	if c.Jobs[0].Threads != 0 || c.Warmup != 0 || c.Jobs[1].Threads != 1 {
		t.Errorf("after Set and Defaults: %s", c.JSON())
	}
	if err := c.Set("jobs[1].threads", "-1"); err != nil {
		t.Fatal(err)
	}
	// A key given by Set is reported without a line.
	if err := c.Validate(known()); err == nil || err.Error() != "t.yaml: jobs[1].threads: must be >= 0, got -1" {
		t.Errorf("Validate = %v", err)
	}
}

func TestCell(t *testing.T) {
	c, err := load(base + "  - op: write\nsweep:\n  param: cache.size\n  values: [32MiB, 1GiB]\n")
	if err != nil {
		t.Fatal(err)
	}
	cell, err := c.Cell("32MiB")
	if err != nil {
		t.Fatal(err)
	}
	if cell.Sweep != nil || cell.Cache.Size != 32*config.MiB || cell.Cache.DirtyBackground != 3354624 {
		t.Errorf("cell = %s", cell.JSON())
	}
	if c.Cache.Size != 256*config.MiB || c.Sweep == nil {
		t.Errorf("Cell changed its config")
	}
	if err := cell.Validate(known()); err != nil {
		t.Error(err)
	}
	if _, err := cell.Cell("1"); err == nil {
		t.Error("Cell of a cell without a sweep succeeded")
	}
}

func TestClone(t *testing.T) {
	c, err := load(base + "  - op: fault\n    region: {offset: 0, size: 1MiB}\nsweep:\n  param: jobs[0].threads\n  values: [1, 2]\n")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Clone()
	if !bytes.Equal(c.JSON(), d.JSON()) {
		t.Fatal("clone differs")
	}
	assertNoSharing(t, "Config", reflect.ValueOf(c).Elem(), reflect.ValueOf(d).Elem())
}

// assertNoSharing fails if a and b share any pointer, slice array or map.
func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared pointer", path)
		}
		assertNoSharing(t, path, a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared slice", path)
		}
		for i := range a.Len() {
			assertNoSharing(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared map", path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}

func TestFileIndexes(t *testing.T) {
	c := &config.Config{Files: config.Files{Count: 4}}
	for _, tc := range []struct {
		sel  string
		want []int
	}{
		{"", []int{0, 1, 2, 3}},
		{"all", []int{0, 1, 2, 3}},
		{"2", []int{2}},
		{"1-3", []int{1, 2, 3}},
		{"3,1", []int{1, 3}},
		{"0-1, 3,1", []int{0, 1, 3}},
		{"4", nil},
		{"2-1", nil},
		{"-1", nil},
		{"x", nil},
	} {
		if got := c.FileIndexes(config.Job{Files: tc.sel}); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FileIndexes(%q) = %v, want %v", tc.sel, got, tc.want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want config.Size
		err  string
	}{
		{"4096", 4096, ""},
		{"512B", 512, ""},
		{"4KiB", 4096, ""},
		{"4K", 4096, ""},
		{"4 kib", 4096, ""},
		{"64MiB", 64 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"2TiB", 2 << 40, ""},
		{"1.5KiB", 1536, ""},
		{"0", 0, ""},
		{"1.1B", 0, `size "1.1B" is not a whole number of bytes`},
		{"4KB", 0, `ambiguous unit in "4KB": write KiB (binary) or a byte count`},
		{"-1", 0, `must not be negative, got "-1"`},
		{"", 0, `want a size like 4096 or 64MiB, got an empty string`},
		{"KiB", 0, `invalid size "KiB": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"1.", 0, `invalid size "1.": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"1.2.3", 0, `invalid size "1.2.3": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"9999999TiB", 0, `size "9999999TiB" is too large`},
		{"99999999999999999999", 0, `size "99999999999999999999" is too large`},
	} {
		got, err := config.ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSize(%q) = %v, %v; want error %s", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %d", tc.in, int64(got), err, tc.want)
		}
		if back, err := config.ParseSize(got.String()); err != nil || back != got {
			t.Errorf("ParseSize(%q.String() = %q) = %v, %v", tc.in, got.String(), back, err)
		}
	}
	for s, want := range map[config.Size]string{0: "0", 1000: "1000B", 4096: "4KiB", 3 * config.GiB: "3GiB", -4096: "-4KiB"} {
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(s), got, want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c, err := load(string(configs.Quick()))
	if err != nil {
		t.Fatal(err)
	}
	var d config.Config
	if err := json.Unmarshal(c.JSON(), &d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.JSON(), c.JSON()) {
		t.Errorf("JSON round trip differs:\n%s\n%s", c.JSON(), d.JSON())
	}
	var s struct {
		S config.Size
		D config.Duration
	}
	if err := json.Unmarshal([]byte(`{"S": "64MiB", "D": 1000000}`), &s); err != nil || s.S != 64*config.MiB || s.D.D() != time.Millisecond {
		t.Errorf("Unmarshal = %+v, %v", s, err)
	}
}

// TestGolden compares the resolved JSON of configs/quick.yaml with
// testdata/quick.golden.json; go test -update rewrites it.
func TestGolden(t *testing.T) {
	c, err := config.Parse(configs.Quick(), "quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(known()); err != nil {
		t.Fatal(err)
	}
	got := append(c.JSON(), '\n')
	golden := filepath.Join("testdata", "quick.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("resolved quick.yaml differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func FuzzParse(f *testing.F) {
	names, _ := fs.Glob(configs.FS, "*.yaml")
	for _, n := range names {
		b, _ := configs.FS.ReadFile(n)
		f.Add(b)
	}
	for _, s := range []string{
		base, base + "  - op: write\n    threads: many\n", base + "cache:\n  sise: 1\n", "- a\n", "name: [t\n", "",
		"a: &a [1]\nb: *a\n", "jobs:\n  - &j {op: read}\n  - <<: *j\n", "x: !!str 3\n", "name: !!int t\n",
		"jobs: [{region: {offset: 1, size: -1}}]\n", "files: {count: 99999999999}\n", "jobs: [{bs: 1.5KiB}]\n",
		"rate: .nan\n", "jobs: [{rate: .inf}]\n", "? [a]\n: 1\n", "\"\\n\": 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "f.yaml")
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "f.yaml") {
				t.Fatalf("error is not one line from f.yaml: %q", msg)
			}
			return
		}
		c.Defaults()
		if err := c.Validate(known()); err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
		}
		if !json.Valid(c.JSON()) {
			t.Fatalf("invalid JSON: %s", c.JSON())
		}
		d := c.Clone()
		if !bytes.Equal(c.JSON(), d.JSON()) {
			t.Fatalf("clone differs")
		}
	})
}
