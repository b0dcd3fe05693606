package config_test

import (
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
)

// userBase has three files: readers of file 0 copy into mappings of file 2,
// which no other job works on; a puncher works on files 0-1.
const userBase = `name: t
strategies: [invalidate]
backend:
  size: 256MiB
files:
  count: 3
  size: 16MiB
validate: true
jobs:
  - op: read
    threads: 2
    bs: 64KiB
    files: 0
    user_buffer: mmap
    user_file: 2
  - op: punch
    files: 0-1
`

func TestUserBuffer(t *testing.T) {
	c, err := load(userBase)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ValidateLocks || c.Jobs[0].UserBuffer != "mmap" || c.Jobs[0].UserFile != 2 {
		t.Errorf("parsed %+v, validate %v", c.Jobs[0], c.ValidateLocks)
	}
	if got := []int64{c.UserSlot(0, 0), c.UserSlot(0, 1)}; got[0] != 0 || got[1] != 64<<10 {
		t.Errorf("slots %v, want [0 65536]", got)
	}
	for _, tc := range []struct {
		name string
		sets []string
		want string // "" for valid
	}{
		{"heap is the default", []string{"jobs[0].user_buffer=heap", "jobs[0].files=all"}, "t.yaml:15: jobs[0].user_file: only with user_buffer: mmap"},
		{"unknown kind", []string{"jobs[0].user_buffer=stack"}, `t.yaml: jobs[0].user_buffer: unknown user buffer "stack": want one of heap, mmap`},
		{"not a read", []string{"jobs[1].user_buffer=mmap"}, "t.yaml: jobs[1].user_buffer: only for read, not punch"},
		{"file out of range", []string{"jobs[0].user_file=3"}, "t.yaml: jobs[0].user_file: file 3 out of range: files.count is 3"},
		{"another job works on it", []string{"jobs[1].files=all"},
			"t.yaml: jobs[1].files: the reads overwrite file 2, which jobs[1] works on: with verify header the buffer file must be one no job works on (or verify: off)"},
		{"the reader itself reads it", []string{"jobs[0].files=0,2"},
			"t.yaml: jobs[0].files: the reads overwrite file 2, which jobs[0] works on: with verify header the buffer file must be one no job works on (or verify: off)"},
		{"allowed with verify off", []string{"jobs[1].files=all", "verify=off"}, ""},
		{"a job at 0 threads does not count", []string{"jobs[1].files=all", "jobs[1].threads=0"}, ""},
		{"slots past the end", []string{"jobs[0].threads=257"},
			"t.yaml: jobs[0].threads: the buffers of the jobs mapping file 2 (threads x bs each) take 16448KiB, more than files.size (16MiB)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(userBase), "t.yaml")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.sets {
				k, v, _ := strings.Cut(s, "=")
				if err := c.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			c.Defaults()
			err = c.Validate(known())
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	missing := `name: t
strategies: [invalidate]
jobs:
  - op: read
    user_buffer: mmap
`
	if _, err := load(missing); err == nil || err.Error() != "t.yaml: jobs[0].user_file: required with user_buffer: mmap: the file whose mapping is the buffer" {
		t.Errorf("got %v", err)
	}
}
