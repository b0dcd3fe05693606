package strategies

import (
	"fmt"
	"strings"

	"github.com/rwbench/rwbench/vfs"
)

// tabled is a strategy given by a locking table: every strategy here is, the
// table strategies and the two whose lock is not an rwsem (rangelock's range,
// lockentries' entries), which read their tables their own way.
type tabled interface {
	vfs.Strategy
	Table() vfs.Table
}

// DesignTable renders the locking tables of all strategies as the markdown
// table of docs/design.md: a column per strategy, a row per hook point where
// some strategy takes something, each cell the lock (the strategy's name for
// its invalidation lock, or i_rwsem) and S or X.
func DesignTable() (string, error) {
	var ts []tabled
	for _, name := range Names() {
		s, err := New(name)
		if err != nil {
			return "", err
		}
		t, ok := s.(tabled)
		if !ok {
			return "", fmt.Errorf("strategy %s has no locking table", name)
		}
		ts = append(ts, t)
	}
	var b strings.Builder
	b.WriteString("| site |")
	for _, t := range ts {
		fmt.Fprintf(&b, " `%s` |", t.Name())
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(ts)) + "\n")
	for _, site := range vfs.Sites() {
		row, any := fmt.Sprintf("| `%s` |", site), false
		for _, t := range ts {
			tk := t.Table()[site]
			cell := "-"
			switch tk.Lock {
			case vfs.LockIRwsem:
				cell = "i_rwsem " + modeLetter(tk.Mode)
			case vfs.LockInval:
				cell = t.InvalidateLockName() + " " + modeLetter(tk.Mode)
			}
			any = any || tk.Lock != vfs.LockNothing
			row += " " + cell + " |"
		}
		if any {
			b.WriteString(row + "\n")
		}
	}
	return b.String(), nil
}

func modeLetter(m vfs.Mode) string {
	if m == vfs.Exclusive {
		return "X"
	}
	return "S"
}

// withInvalidators returns t with the invalidation lock taken exclusive at
// punch, truncate and zero range, where every strategy takes it: the
// invalidating side is the same everywhere, the strategies differ in where
// page creation takes the lock shared.
func withInvalidators(t vfs.Table) vfs.Table {
	for _, site := range []vfs.Site{vfs.SitePunch, vfs.SiteTruncate, vfs.SiteZero} {
		t[site] = vfs.X(vfs.LockInval)
	}
	return t
}
