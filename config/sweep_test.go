package config_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
)

// phases is base with a sweep by sets, from line 11.
const phases = base + `sweep:
  sets:
    - name: hit
      set: ["cache.size=64MiB", "files.count=1"]
    - name: fault
      set:
        - jobs[0].op=fault
        - strategies=irwsem
    - name: base
      set: []
`

func TestSweepSets(t *testing.T) {
	c, err := load(phases)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := c.Points()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pts {
		if len(p.Params) != 1 {
			t.Errorf("params %v, want only %s", p.Params, config.PhaseParam)
		}
		names = append(names, p.Params[config.PhaseParam])
		if p.Config.Sweep != nil {
			t.Errorf("phase %s has a sweep", p.Params["phase"])
		}
		if err := p.Config.Validate(known()); err != nil {
			t.Errorf("phase %s: %v", p.Params["phase"], err)
		}
	}
	if strings.Join(names, " ") != "hit fault base" {
		t.Fatalf("phases %v, want hit fault base in file order", names)
	}
	hit, fault, b := pts[0].Config, pts[1].Config, pts[2].Config
	// Derived defaults follow the phase's keys.
	if hit.Cache.Size != 64*config.MiB || hit.Cache.DirtyLimit != 13418496 || hit.Files.Count != 1 {
		t.Errorf("hit = %s", hit.JSON())
	}
	if fault.Jobs[0].Op != "fault" || fault.Jobs[0].Name != "fault" || fault.Jobs[0].Refault == nil || !*fault.Jobs[0].Refault {
		t.Errorf("fault job = %+v", fault.Jobs[0])
	}
	if !reflect.DeepEqual(fault.Strategies, []string{"irwsem"}) || !reflect.DeepEqual(hit.Strategies, []string{"none", "irwsem"}) {
		t.Errorf("strategies: fault %v, hit %v", fault.Strategies, hit.Strategies)
	}
	if !bytes.Equal(b.JSON(), func() []byte { n := c.Clone(); n.Sweep = nil; return n.JSON() }()) {
		t.Errorf("an empty set is not the base config:\n%s", b.JSON())
	}
	// The base config is untouched.
	if c.Cache.Size != 256*config.MiB || c.Jobs[0].Op != "read" || len(c.Strategies) != 2 {
		t.Errorf("Points changed the config: %s", c.JSON())
	}
	if _, err := c.Cell("1"); err == nil {
		t.Error("Cell on a sweep by sets succeeded")
	}
	if _, err := c.Phase("cold"); err == nil || err.Error() != `t.yaml: sweep.sets: no phase "cold"` {
		t.Errorf("Phase(cold) = %v", err)
	}
	if !strings.Contains(string(c.JSON()), `"sets": [`) || strings.Contains(string(c.JSON()), `"param"`) {
		t.Errorf("JSON of a sweep by sets:\n%s", c.JSON())
	}
}

// TestSweepValuesPoints: param and values still make one point per value.
func TestSweepValuesPoints(t *testing.T) {
	c, err := load(base + "sweep:\n  param: jobs[0].threads\n  values: [1, 4]\n")
	if err != nil {
		t.Fatal(err)
	}
	pts, err := c.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[1].Params["jobs[0].threads"] != "4" || pts[1].Config.Jobs[0].Threads != 4 {
		t.Errorf("points %+v", pts)
	}
	c.Sweep = nil
	if pts, err := c.Points(); err != nil || len(pts) != 1 || len(pts[0].Params) != 0 || pts[0].Config != c {
		t.Errorf("points without a sweep: %+v, %v", pts, err)
	}
}

func TestSweepSetsErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"both", base + "sweep:\n  param: jobs[0].threads\n  values: [1]\n  sets:\n    - {name: a, set: []}\n",
			`t.yaml:14: sweep.sets: a sweep has param and values or sets, not both`},
		{"no sets", base + "sweep:\n  sets: []\n",
			`t.yaml:12: sweep.sets: required: at least one set like {name: hit, set: [cache.size=256MiB]}`},
		{"no name", base + "sweep:\n  sets:\n    - set: [cache.size=64MiB]\n",
			`t.yaml:13: sweep.sets[0]: required: a name for the phase, like hit`},
		{"bad name", base + "sweep:\n  sets:\n    - name: Hot Path\n      set: []\n",
			`t.yaml:13: sweep.sets[0].name: must be 1 to 100 characters of a-z 0-9 . _ -, got "Hot Path"`},
		{"name twice", base + "sweep:\n  sets:\n    - {name: a, set: []}\n    - {name: a, set: []}\n",
			`t.yaml:14: sweep.sets[1].name: "a" is also the name of sweep.sets[0]`},
		{"not key=value", base + "sweep:\n  sets:\n    - name: a\n      set: [cache.size]\n",
			`t.yaml:14: sweep.sets[0].set[0]: want key=value like cache.size=64MiB, got "cache.size"`},
		{"unknown key", base + "sweep:\n  sets:\n    - name: a\n      set:\n        - cache.sise=1MiB\n",
			`t.yaml:15: sweep.sets[0].set[0]: cache.sise: unknown key (did you mean size?)`},
		{"bad path", base + "sweep:\n  sets:\n    - name: a\n      set: [\"jobs[x].op=read\"]\n",
			`t.yaml:14: sweep.sets[0].set[0]: invalid path "jobs[x].op": bad index "x"`},
		{"sets the sweep", base + "sweep:\n  sets:\n    - name: a\n      set: [sweep=null]\n",
			`t.yaml:14: sweep.sets[0].set[0]: a phase cannot set the sweep`},
		{"bad value", base + "sweep:\n  sets:\n    - name: a\n      set:\n        - cache.size=1MiB\n        - jobs[0].threads=many\n",
			`t.yaml:16: sweep.sets[0].set[1]: phase a: jobs[0].threads: want an integer, got "many"`},
		{"invalid phase", base + "sweep:\n  sets:\n    - name: ok\n      set: []\n    - name: a\n      set:\n        - cache.size=64MiB\n        - cache.fault_around=1000\n",
			`t.yaml:18: sweep.sets[1].set[1]: phase a: cache.fault_around: must be between 0 and 512 pages, got 1000`},
		{"unknown strategy in a phase", base + "sweep:\n  sets:\n    - name: a\n      set: [\"strategies=none,rangelock\"]\n",
			`t.yaml:14: sweep.sets[0].set[0]: phase a: strategies[1]: unknown strategy "rangelock": want one of none, irwsem, perpage, perbatch, invalidate`},
		{"phase breaks another key", base + "sweep:\n  sets:\n    - name: big\n      set: [files.size=256MiB]\n",
			`t.yaml:14: sweep.sets[0].set[0]: phase big: files.size: 2 files of 256MiB need backend.size >= 519MiB (512MiB + 1% + 1MiB for metadata), got 256MiB`},
		{"phase breaks a key it does not set", base + "sweep:\n  sets:\n    - name: slow\n      set: [duration=1s, interval=2s]\n",
			`t.yaml:14: sweep.sets[0].set[1]: phase slow: interval: interval (2s) must be <= duration (1s)`},
		{"phase error on a base key", base + "jobs[0].bs: 1MiB\n",
			`t.yaml:11: "jobs[0].bs": unknown key`},
		{"set is not a list", base + "sweep:\n  sets:\n    - name: a\n      set: cache.size=1MiB\n",
			`t.yaml:14: sweep.sets[0].set: want a list, got "cache.size=1MiB"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.yaml)
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestSweepSetsPinned: an error that a phase's key causes is pinned to that key's
// entry, and a base with every job off is accepted when a phase sets jobs.
func TestSweepSetsPinned(t *testing.T) {
	_, err := load(base + "sweep:\n  sets:\n    - name: a\n      set: [backend.size=16MiB]\n")
	if err == nil || err.Error() != `t.yaml:14: sweep.sets[0].set[0]: phase a: backend.size: 2 files of 16MiB need backend.size >= 34MiB (32MiB + 1% + 1MiB for metadata), got 16MiB` {
		t.Errorf("error = %v", err)
	}
	_, err = load(base + "sweep:\n  sets:\n    - name: a\n      set: [verify=some]\n    - name: b\n      set: [cache.size=1MiB]\n")
	if err == nil || err.Error() != `t.yaml:14: sweep.sets[0].set[0]: phase a: verify: unknown mode "some": want one of off, header, full` {
		t.Errorf("error = %v", err)
	}
	// An error on a key no entry set is pinned to the phase.
	_, err = load(base + "  - {op: write, files: \"1\"}\nsweep:\n  sets:\n    - name: one\n      set: [files.count=1]\n")
	if err == nil || err.Error() != `t.yaml:14: sweep.sets[0]: phase one: jobs[1].files: file 1 out of range: files.count is 1` {
		t.Errorf("error = %v", err)
	}
	// Every job off in the base is fine when a phase sets jobs.
	if _, err := load(strings.Replace(base, "threads: 2", "threads: 0", 1) + "sweep:\n  sets:\n    - {name: on, set: [\"jobs[0].threads=1\"]}\n"); err != nil {
		t.Error(err)
	}
}

// TestSweepSetsBySet: -set reaches the sets, and removes the sweep.
func TestSweepSetsBySet(t *testing.T) {
	c, err := config.Parse([]byte(phases), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("sweep.sets[0].set[1]", "files.count=2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("sweep.sets[3]", "{name: cold, set: [cache.size=4MiB]}"); err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(known()); err != nil {
		t.Fatal(err)
	}
	cold, err := c.Phase("cold")
	if err != nil || cold.Cache.Size != 4*config.MiB {
		t.Fatalf("phase cold: %v", err)
	}
	if hit, _ := c.Phase("hit"); hit.Files.Count != 2 {
		t.Errorf("hit files.count = %d", hit.Files.Count)
	}
	if err := c.Set("sweep.sets[1].set[0]", "jobs[0].op=fsync"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(known()); err == nil || err.Error() != `t.yaml: sweep.sets[1].set[0]: phase fault: jobs[0].op: unknown op "fsync": want one of read, write, fault, mkwrite, punch, truncate, zero, advise` {
		t.Errorf("Validate = %v", err)
	}
	if err := c.Set("sweep", ""); err != nil || c.Sweep != nil {
		t.Errorf("-set sweep= : %v, sweep %v", err, c.Sweep)
	}
}

// TestNewKeysJSON: record, files.warm and sweep.sets stay out of the resolved
// config at their defaults, so older results files remain comparable.
func TestNewKeysJSON(t *testing.T) {
	c, err := load(base)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Recording() || c.Files.Warm {
		t.Errorf("defaults: record %v, warm %v", c.Recording(), c.Files.Warm)
	}
	for _, k := range []string{`"record"`, `"warm"`, `"sets"`} {
		if bytes.Contains(c.JSON(), []byte(k)) {
			t.Errorf("JSON at the defaults has %s:\n%s", k, c.JSON())
		}
	}
	c, err = load(base + "record: false\nfiles.warm: true\n")
	if err == nil {
		t.Fatal("files.warm as a key was accepted")
	}
	c, err = load(strings.Replace(base, "  count: 2\n", "  count: 2\n  warm: true\n", 1) + "record: false\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Recording() || !c.Files.Warm {
		t.Errorf("record %v, warm %v", c.Recording(), c.Files.Warm)
	}
	for _, k := range []string{`"record": false`, `"warm": true`} {
		if !bytes.Contains(c.JSON(), []byte(k)) {
			t.Errorf("JSON has no %s:\n%s", k, c.JSON())
		}
	}
	if c.Recording() {
		t.Error("record: false is recording")
	}
	if err := c.Set("record", "true"); err != nil || !c.Recording() || bytes.Contains(c.JSON(), []byte(`"record"`)) {
		t.Errorf("record=true: %v\n%s", err, c.JSON())
	}
}

func TestGoals(t *testing.T) {
	const goals = phases + `goals:
  - {phase: hit, op: read, vs: irwsem, min: 3}
  - {phase: hit, op: read, vs: none, vs_phase: base, min: 0.95}
  - {phase: fault, op: fault, vs: irwsem, min: 0}
`
	c, err := load(goals)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Goals) != 3 || c.Goals[1].VsPhase != "base" || c.Goals[0].Min != 3 {
		t.Errorf("goals = %+v", c.Goals)
	}
	if !strings.Contains(string(c.JSON()), `"vs_phase": "base"`) {
		t.Errorf("JSON:\n%s", c.JSON())
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown phase", phases + "goals:\n  - {phase: cold, op: read, vs: none}\n",
			`t.yaml:22: goals[0].phase: unknown phase "cold": want one of the sweep sets hit, fault, base`},
		{"no phase", phases + "goals:\n  - {op: read, vs: none}\n",
			`t.yaml:22: goals[0]: required: one of the sweep sets hit, fault, base`},
		{"phase without sets", base + "goals:\n  - {phase: hit, op: read, vs: none}\n",
			`t.yaml:12: goals[0].phase: the config has no sweep sets: leave it out`},
		{"unknown op", phases + "goals:\n  - {phase: hit, op: fsync, vs: none}\n",
			`t.yaml:22: goals[0].op: unknown op "fsync": want one of read, write, fault, mkwrite, punch, truncate, zero, advise`},
		{"no vs", phases + "goals:\n  - phase: hit\n    op: read\n",
			`t.yaml:22: goals[0]: required: the reference, like kernel or raw`},
		{"unknown vs", phases + "goals:\n  - {phase: hit, op: read, vs: linux}\n",
			`t.yaml:22: goals[0].vs: unknown strategy "linux": want one of none, irwsem, perpage, perbatch, invalidate`},
		{"unknown vs_phase", phases + "goals:\n  - {phase: hit, op: read, vs: none, vs_phase: warm}\n",
			`t.yaml:22: goals[0].vs_phase: unknown phase "warm": want one of the sweep sets hit, fault, base`},
		{"negative min", phases + "goals:\n  - {phase: hit, op: read, vs: none, min: -1}\n",
			`t.yaml:22: goals[0].min: must be >= 0 (0: no target), got -1`},
		{"twice", phases + "goals:\n  - {phase: hit, op: read, vs: none}\n  - {phase: hit, op: read, vs: none, min: 2}\n",
			`t.yaml:23: goals[1]: the same goal as goals[0]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.yaml)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}
