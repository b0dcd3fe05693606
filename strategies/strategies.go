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

// Names lists every strategy: the historical racy one first, then the safe
// ones, then `naive`, which is race-free but deadlocks when a read's user
// buffer is a mapping (see Naive).
func Names() []string { return append(append([]string{"none"}, SafeNames()...), "naive") }

// SafeNames lists the strategies that must never expose stale or foreign data.
func SafeNames() []string {
	return []string{"irwsem", "perpage", "perbatch", "invalidate", "rangelock", "lockentries"}
}

// New returns the strategy called name.
func New(name string) (vfs.Strategy, error) {
	switch name {
	case "none":
		return None(), nil
	case "irwsem":
		return IRwsem(), nil
	case "perpage":
		return PerPage(), nil
	case "perbatch":
		return PerBatch(), nil
	case "invalidate":
		return Invalidate(), nil
	case "rangelock":
		return RangeLock(), nil
	case "lockentries":
		return LockEntries(), nil
	case "naive":
		return Naive(), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Describe is a one-line description of each strategy, for `rwbench list`.
func Describe(name string) string {
	return map[string]string{
		"none":        "ext4 before 5.15: i_mmap_sem in faults only; read, readahead and advise race with punch",
		"irwsem":      "XFS before 5.15: i_rwsem shared around every read and advise, MMAPLOCK in faults",
		"perpage":     "lock shared around each page insertion (add_to_page_cache hook)",
		"perbatch":    "lock shared around each read batch, hits included (Jan Kara's v1 RFC, 2021)",
		"invalidate":  "mapping->invalidate_lock (Linux 5.15+): shared where pages are created, once per readahead window",
		"rangelock":   "the invalidation lock over page ranges (Jan Kara's 2013 range lock): creation waits only inside a punched range",
		"lockentries": "lock entries in the page index over the punched range (Matthew Wilcox's idea); creation that meets one waits",
		"naive":       "the 2019 attempt: i_mmap_sem shared around the whole read, copy-out included; deadlocks when the copy faults",
	}[name]
}
