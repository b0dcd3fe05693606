package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Faults injects I/O faults into the model's backing store (key backend.faults),
// to see how a run meets a failing disk: the store is wrapped by one that fails
// or delays chosen I/Os before they reach the real store. Block lists name data
// blocks of the store (1..size/4KiB-1) as "all" or ranges like "1-64,300".
type Faults struct {
	// ReadEIO fails reads touching these blocks with EIO.
	ReadEIO string `json:"read_eio,omitempty"`
	// WriteEIO fails writes touching these blocks with EIO.
	WriteEIO string `json:"write_eio,omitempty"`
	// Stall delays every I/O touching StallBlocks (every I/O when empty) by
	// this long, as a device whose I/O hangs.
	Stall       Duration `json:"stall,omitempty"`
	StallBlocks string   `json:"stall_blocks,omitempty"`
	// DeadAfter makes every I/O fail with EIO once this long has passed since
	// the store was opened (a disk that dies), for DeadFor (0: for good).
	DeadAfter Duration `json:"dead_after,omitempty"`
	DeadFor   Duration `json:"dead_for,omitempty"`
	// From delays the EIO and stall faults to this long after the store was
	// opened (as a region that goes bad mid-run), default 0: from the start.
	From Duration `json:"from,omitempty"`
}

// BlockRange is the blocks [First, Last].
type BlockRange struct{ First, Last uint64 }

// Blocks is a set of blocks as ParseBlocks reads it; nil is no block.
type Blocks []BlockRange

// Has reports whether any of the n blocks from blk is in the set.
func (b Blocks) Has(blk uint64, n int) bool {
	last := blk + uint64(n) - 1
	i := sort.Search(len(b), func(i int) bool { return b[i].Last >= blk })
	return i < len(b) && b[i].First <= last
}

// ParseBlocks reads a block list: "" (none), "all", or comma-separated blocks
// and ranges ("1-64,300").
func ParseBlocks(s string) (Blocks, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return nil, nil
	case "all":
		return Blocks{{First: 0, Last: ^uint64(0)}}, nil
	}
	var out Blocks
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: want blocks like 1-64,300 or all", s)
		}
		last := first
		if isRange {
			if last, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || last < first {
				return nil, fmt.Errorf("%q: want blocks like 1-64,300 or all (a range is low-high)", s)
			}
		}
		out = append(out, BlockRange{first, last})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].First < out[j].First })
	merged := out[:1]
	for _, r := range out[1:] {
		if m := &merged[len(merged)-1]; r.First <= m.Last+1 {
			m.Last = max(m.Last, r.Last)
		} else {
			merged = append(merged, r)
		}
	}
	return merged, nil
}

// validateFaults checks backend.faults: the block lists parse, the durations
// are not negative, and there is a model store to wrap.
func (c *Config) validateFaults() *Error {
	f := c.Backend.Faults
	if f == nil {
		return nil
	}
	for _, b := range []struct{ key, val string }{
		{"backend.faults.read_eio", f.ReadEIO}, {"backend.faults.write_eio", f.WriteEIO},
		{"backend.faults.stall_blocks", f.StallBlocks},
	} {
		if _, err := ParseBlocks(b.val); err != nil {
			return c.errAt(b.key, "%v", err)
		}
	}
	for _, d := range []struct {
		key string
		val Duration
	}{{"backend.faults.stall", f.Stall}, {"backend.faults.dead_after", f.DeadAfter}, {"backend.faults.dead_for", f.DeadFor}, {"backend.faults.from", f.From}} {
		if d.val < 0 {
			return c.errAt(d.key, "must be >= 0, got %s", d.val)
		}
	}
	if f.StallBlocks != "" && f.Stall == 0 {
		return c.errAt("backend.faults.stall_blocks", "needs backend.faults.stall, the delay")
	}
	if f.DeadFor != 0 && f.DeadAfter == 0 {
		return c.errAt("backend.faults.dead_for", "needs backend.faults.dead_after, when the outage begins")
	}
	return nil
}
