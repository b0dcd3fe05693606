package strategies

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the strategy table of docs/design.md from the strategies' tables")

const (
	designDoc   = "../docs/design.md"
	tableStart  = "<!-- strategy table: generated from the strategies' locking tables by `go test ./strategies -update` -->\n"
	tableFinish = "<!-- end of the strategy table -->\n"
)

// TestDesignTable checks that the strategy table of docs/design.md is the one
// the strategies' locking tables give, so the document cannot drift from the
// code; -update rewrites it.
func TestDesignTable(t *testing.T) {
	want, err := DesignTable()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(designDoc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, tableStart), strings.Index(s, tableFinish)
	if i < 0 || j < i {
		t.Fatalf("%s: no strategy table between %q and %q", designDoc, tableStart, tableFinish)
	}
	got := s[i+len(tableStart) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(designDoc, []byte(s[:i+len(tableStart)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the strategy table differs from the strategies' tables (go test ./strategies -update):\ngot:\n%s\nwant:\n%s", designDoc, got, want)
}

// A table that lost a strategy's entry no longer matches.
func TestDesignTableFollowsTheCode(t *testing.T) {
	full, err := DesignTable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full, "| `fault_around` | - | MMAPLOCK S |") {
		t.Errorf("fault_around row does not show irwsem's MMAPLOCK S:\n%s", full)
	}
	if !strings.Contains(full, "| `page_insert` | - | - | i_mmap_sem S |") {
		t.Errorf("page_insert row does not show perpage's lock:\n%s", full)
	}
}
