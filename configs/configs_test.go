package configs_test

import (
	"bytes"
	"github.com/rwbench/rwbench/runner"
	"io/fs"
	"testing"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/configs"
)

// known is what the model and the runner accept today.
func known() config.Known {
	return config.Known{
		Strategies: runner.Names(),
		Ops:        []string{"read", "write", "fault", "mkwrite", "punch", "truncate", "zero", "advise"},
		Backends:   []string{"file", "blockdev", "memory"},
	}
}

// TestShipped parses and validates every shipped config, and checks its header.
func TestShipped(t *testing.T) {
	names, err := fs.Glob(configs.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 8 {
		t.Errorf("only %d configs shipped: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := configs.FS.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("# "+name+":")) {
				t.Errorf("does not open with a comment naming it: # %s: ...", name)
			}
			if run := "go run ./cmd/rwbench run configs/" + name; !bytes.Contains(data, []byte(run)) {
				t.Errorf("comment does not say how to run it: %s", run)
			}
			c, err := config.Parse(data, name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name+".yaml" != name {
				t.Errorf("name %q does not match the file name", c.Name)
			}
			c.Defaults()
			if err := c.Validate(known()); err != nil {
				t.Fatal(err)
			}
			points, err := c.Points()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range points {
				if err := p.Config.Validate(known()); err != nil {
					t.Fatalf("%v: %v", p.Params, err)
				}
			}
		})
	}
}

func TestQuick(t *testing.T) {
	q, err := configs.FS.ReadFile("quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(configs.Quick(), q) {
		t.Error("Quick() differs from quick.yaml")
	}
	c, err := config.Parse(configs.Quick(), "quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	// The whole run should take about 30 s.
	run := c.Duration.D() + c.Warmup.D()
	total := run * 2 * 5
	if c.Repeat != 2 || len(c.Strategies) != 5 || total.Seconds() > 30 {
		t.Errorf("quick: %d strategies x %d runs x %v = %v", len(c.Strategies), c.Repeat, run, total)
	}
	ops := map[string]bool{}
	for _, j := range c.Jobs {
		ops[j.Op] = true
	}
	for _, op := range known().Ops {
		if !ops[op] {
			t.Errorf("quick has no %s job", op)
		}
	}
}
