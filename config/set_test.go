package config_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/rwbench/rwbench/config"
)

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
