package config_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/configs"
)

// FuzzParse: any input parses or fails with a one-line error from the file, and
// what parses gives a resolved config whose errors are one line too.
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
		"1: 2\n", "~: x\n", "x: &a {y: *a}\n", "jobs: [{threads: '4'}]\n", "jobs: [&j {op: read}, {<<: [*j], rate: 1}]\n",
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

// FuzzSet: any -set path and value is applied or refused with a one-line error,
// and a refused one leaves the config as it was.
func FuzzSet(f *testing.F) {
	for _, s := range [][2]string{
		{"jobs[0].threads", "4"}, {"jobs[0].threads", "1.5"}, {"cache", "{size: 1MiB, sise: 2}"},
		{"jobs[1]", "{op: write, <<: {rate: 1}}"}, {"strategies", "a,,b"}, {"x[", "1"},
		{"sweep", "{param: 'jobs[0].threads', values: [1]}"}, {"jobs[0].region", "&a {offset: *a}"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, value string) {
		c, err := load(base)
		if err != nil {
			t.Fatal(err)
		}
		before := c.JSON()
		if err := c.Set(path, value); err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if !bytes.Equal(before, c.JSON()) {
				t.Fatalf("a failed Set changed the config")
			}
			return
		}
		if !json.Valid(c.JSON()) {
			t.Fatalf("invalid JSON: %s", c.JSON())
		}
	})
}
