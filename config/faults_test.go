package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
)

// TestParseBlocks: block lists, sorted and merged, and Has over a transfer.
func TestParseBlocks(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want config.Blocks
		err  string
	}{
		{"", nil, ""},
		{"all", config.Blocks{{First: 0, Last: ^uint64(0)}}, ""},
		{"7", config.Blocks{{First: 7, Last: 7}}, ""},
		{"300, 1-64, 60-70, 71", config.Blocks{{First: 1, Last: 71}, {First: 300, Last: 300}}, ""},
		{"5-3", nil, "a range is low-high"},
		{"x", nil, "want blocks like"},
		{"1,", nil, "want blocks like"},
		{"-4", nil, "want blocks like"},
	} {
		got, err := config.ParseBlocks(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBlocks(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseBlocks(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	b, _ := config.ParseBlocks("10-12,20")
	for _, tc := range []struct {
		blk  uint64
		n    int
		want bool
	}{{9, 1, false}, {9, 2, true}, {12, 1, true}, {13, 7, false}, {13, 8, true}, {21, 100, false}, {1, 100, true}} {
		if got := b.Has(tc.blk, tc.n); got != tc.want {
			t.Errorf("Has(%d, %d) = %v, want %v", tc.blk, tc.n, got, tc.want)
		}
	}
}

// FuzzParseBlocks: any input parses or fails without panicking, and what
// parses is sorted, disjoint and not adjacent.
func FuzzParseBlocks(f *testing.F) {
	for _, s := range []string{"", "all", "1-64,300", "5-3", "1,,2", "18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := config.ParseBlocks(s)
		if err != nil {
			return
		}
		for i, r := range b {
			if r.First > r.Last || i > 0 && r.First <= b[i-1].Last+1 && b[i-1].Last != ^uint64(0) {
				t.Fatalf("ParseBlocks(%q) = %v: not sorted and merged", s, b)
			}
		}
	})
}

// TestFaultsErrors: backend.faults mistakes name their key.
func TestFaultsErrors(t *testing.T) {
	for _, tc := range []struct{ faults, want string }{
		{"{read_eio: 1-x}", "backend.faults.read_eio:"},
		{"{write_eio: 9-1}", "backend.faults.write_eio:"},
		{"{stall: -1s}", "backend.faults.stall: must be >= 0"},
		{"{stall_blocks: 1-4}", "backend.faults.stall_blocks: needs backend.faults.stall"},
		{"{dead_for: 1s}", "backend.faults.dead_for: needs backend.faults.dead_after"},
		{"{from: -1s}", "backend.faults.from: must be >= 0"},
		{"{stal: 1s}", "backend.faults.stal: unknown key"},
	} {
		_, err := load(strings.Replace(base, "  size: 256MiB\n", "  size: 256MiB\n  faults: "+tc.faults+"\n", 1))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("faults %s: %v, want %q", tc.faults, err, tc.want)
		}
	}
	if _, err := load(strings.Replace(base, "  size: 256MiB\n", "  size: 256MiB\n  faults: {read_eio: 1-64, stall: 1s, dead_after: 2s, from: 1s}\n", 1)); err != nil {
		t.Errorf("valid faults: %v", err)
	}
	if _, err := load(base + "watchdog: -1s\n"); err == nil || !strings.Contains(err.Error(), "watchdog: must be >= 0") {
		t.Errorf("negative watchdog: %v", err)
	}
}
