// Package strategies holds the serialization strategies of docs/design.md section 5,
// one file each, each opening with its locking table. A strategy only says which
// lock it takes at which hook point of the model (vfs.Site); the paths are the
// model's, the same for all.
package strategies

import (
	"fmt"
	"strings"

	"github.com/rwbench/rwbench/vfs"
)

// safety says what a strategy promises a reader.
type safety int

const (
	// racy strategies let a reader see stale or foreign data (none).
	racy safety = iota
	// safe strategies never expose stale or foreign data.
	safe
	// deadlocks is race-free but deadlocks when a read's user buffer is a
	// mapping (naive).
	deadlocks
)

// entry is one strategy as the rest of the package and its callers know it.
type entry struct {
	name     string
	describe string // one line, for `rwbench list`
	safety   safety
	// counterparts are the real filesystems (targets xfs, ext4, btrfs) that
	// implement the strategy today: XFS still takes IOLOCK (i_rwsem) shared
	// around every buffered read, so it is irwsem; ext4 and btrfs since Linux
	// 5.15 take mapping->invalidate_lock where pages are created, so they are
	// invalidate. The fidelity table holds the model's strategies against these.
	counterparts []string
	new          func() vfs.Strategy
}

// registry is every strategy, in the order runs, `rwbench list` and the
// design table use: the historical racy one first, then the safe ones, then
// `naive`, which is race-free but deadlocks (see Naive).
func registry() []entry {
	return []entry{
		{"none", "ext4 before 5.15: i_mmap_sem in faults only; read, readahead and advise race with punch",
			racy, nil, None},
		{"irwsem", "XFS before 5.15: i_rwsem shared around every read and advise, MMAPLOCK in faults",
			safe, []string{"xfs"}, IRwsem},
		{"perpage", "lock shared around each page insertion (add_to_page_cache hook)",
			safe, nil, PerPage},
		{"perbatch", "lock shared around each read batch, hits included (Jan Kara's v1 RFC, 2021)",
			safe, nil, PerBatch},
		{"invalidate", "mapping->invalidate_lock (Linux 5.15+): shared where pages are created, once per readahead window",
			safe, []string{"ext4", "btrfs"}, Invalidate},
		{"rangelock", "the invalidation lock over page ranges (Jan Kara's 2013 range lock): creation waits only inside a punched range",
			safe, nil, RangeLock},
		{"lockentries", "lock entries in the page index over the punched range (Matthew Wilcox's idea); creation that meets one waits",
			safe, nil, LockEntries},
		{"naive", "the 2019 attempt: i_mmap_sem shared around the whole read, copy-out included; deadlocks when the copy faults",
			deadlocks, nil, Naive},
	}
}

// lookup returns the registry entry called name.
func lookup(name string) (entry, bool) {
	for _, e := range registry() {
		if e.name == name {
			return e, true
		}
	}
	return entry{}, false
}

// Names lists every strategy, in the registry's order.
func Names() []string { return namesWhere(func(entry) bool { return true }) }

// SafeNames lists the strategies that must never expose stale or foreign data.
func SafeNames() []string { return namesWhere(func(e entry) bool { return e.safety == safe }) }

// Paired lists the model strategies that have counterparts, in Names' order:
// the fidelity table's ratios are each of them over every later one
// (irwsem ÷ invalidate), beside the same ratio of their counterparts (xfs ÷
// ext4, xfs ÷ btrfs).
func Paired() []string { return namesWhere(func(e entry) bool { return len(e.counterparts) > 0 }) }

func namesWhere(keep func(entry) bool) []string {
	var out []string
	for _, e := range registry() {
		if keep(e) {
			out = append(out, e.name)
		}
	}
	return out
}

// New returns the strategy called name.
func New(name string) (vfs.Strategy, error) {
	e, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return e.new(), nil
}

// Describe is a one-line description of the strategy called name, for
// `rwbench list`; "" for a name that is none.
func Describe(name string) string {
	e, _ := lookup(name)
	return e.describe
}

// Counterparts names the real filesystems that implement the strategy called
// name today (see entry.counterparts); nil for the others.
func Counterparts(name string) []string {
	e, _ := lookup(name)
	return e.counterparts
}
