package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
)

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
