package main

import (
	"fmt"
	"io"

	"github.com/rwbench/rwbench/runner"
	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/strategies"
)

// listCommand is `rwbench list`: the strategies, targets, ops and backends a
// config may name.
func listCommand(stdout, stderr io.Writer) command {
	return command{newFlags("list", "rwbench list", "  rwbench list\n", stderr), func([]string) error {
		for _, s := range strategies.Names() {
			fmt.Fprintf(stdout, "strategy  %-11s %s\n", s, strategies.Describe(s))
		}
		fmt.Fprintf(stdout, "target    %-11s %s\n", runner.TargetKernel, "the host kernel's page cache on real files (calibration)")
		fmt.Fprintf(stdout, "target    %-11s %s\n", runner.TargetRaw, "O_DIRECT straight to files, no cache: the device floor")
		for _, fs := range scratchfs.Names() {
			fmt.Fprintf(stdout, "target    %-11s %s\n", fs, "kernel on a "+fs+" made for each run: loop device, memory cgroup of cache.size (root; kind "+runner.TargetRealFS+")")
		}
		for _, op := range runner.Ops() {
			fmt.Fprintf(stdout, "op        %-11s %s\n", op, opDoc[op])
		}
		for _, b := range runner.Backends() {
			fmt.Fprintf(stdout, "backend   %-11s %s\n", b, backendDoc[b])
		}
		return nil
	}}
}

var opDoc = map[string]string{
	"read":     "buffered read(2) of bs bytes",
	"write":    "buffered write(2) of bs bytes (i_rwsem exclusive)",
	"fault":    "read fault on a shared mapping (MADV_DONTNEED, then load)",
	"mkwrite":  "write fault on a shared mapping, through page_mkwrite",
	"punch":    "fallocate(PUNCH_HOLE|KEEP_SIZE) of length bytes",
	"truncate": "ftruncate down by length bytes and back up",
	"zero":     "fallocate(ZERO_RANGE|KEEP_SIZE) of length bytes",
	"advise":   "fadvise(WILLNEED) of length bytes",
}

var backendDoc = map[string]string{
	"file":     "an image file opened with O_DIRECT (default: in a temporary directory)",
	"blockdev": "a block device opened with O_DIRECT (refused when mounted)",
	"memory":   "memory, with optional injected latency (for tests)",
}
