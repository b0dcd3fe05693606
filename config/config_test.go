package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
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

func TestClone(t *testing.T) {
	for _, yaml := range []string{
		base + "  - op: fault\n    region: {offset: 0, size: 1MiB}\nsweep:\n  param: jobs[0].threads\n  values: [1, 2]\n",
		phases + "record: false\ngoals: [{phase: hit, op: read, vs: none, min: 1}]\n",
	} {
		c, err := load(yaml)
		if err != nil {
			t.Fatal(err)
		}
		d := c.Clone()
		if !bytes.Equal(c.JSON(), d.JSON()) {
			t.Fatal("clone differs")
		}
		assertNoSharing(t, "Config", reflect.ValueOf(c).Elem(), reflect.ValueOf(d).Elem())
	}
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
