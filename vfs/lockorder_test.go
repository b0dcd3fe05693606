package vfs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// The lock order of the package doc, asserted. The stress tests run every
// strategy with the validator on and assert no violations; these tests show the
// validator and the tables keep the two rules of docs/design.md section 2:
//
//   - the fault path runs under mmap_lock (rank 2), so nothing it takes may be
//     i_rwsem (rank 1);
//   - a lock held across the copy to the user buffer (which can fault) cannot
//     also be taken in the fault path.

// faultPathSites are the sites the fault path reaches under mmap_lock:
// filemap_fault, its page creation and insertion, read-around, page_mkwrite.
var faultPathSites = []vfs.Site{vfs.SiteFault, vfs.SiteFaultCreate, vfs.SiteMkwrite, vfs.SitePageInsert, vfs.SiteReadahead}

// tableProblems checks a locking table against the two rules.
func tableProblems(tb vfs.Table) []string {
	var out []string
	// The model's Read holds what it takes at SiteReadEntry across the copy
	// out; a fault on the user buffer would then take the fault path's locks.
	if held := tb[vfs.SiteReadEntry]; held.Lock != vfs.LockNothing {
		for _, s := range []vfs.Site{vfs.SiteFault, vfs.SiteFaultCreate, vfs.SiteMkwrite, vfs.SitePageInsert} {
			if tb[s].Lock == held.Lock {
				out = append(out, fmt.Sprintf("the lock held across copy-out (at %v) is taken again at %v in the fault path", vfs.SiteReadEntry, s))
			}
		}
	}
	for _, s := range faultPathSites {
		if tb[s].Lock == vfs.LockIRwsem {
			out = append(out, fmt.Sprintf("i_rwsem taken at %v, under mmap_lock", s))
		}
	}
	return out
}

func TestLockOrderTables(t *testing.T) {
	for _, name := range strategies.Names() {
		s, err := strategies.New(name)
		if err != nil {
			t.Fatal(err)
		}
		ts, ok := s.(*vfs.TableStrategy)
		if !ok {
			// rangelock and lockentries take their own locks, never i_rwsem;
			// the validator checks them at run time in the stress tests.
			t.Logf("%s is not a table strategy: checked by the stress tests", name)
			continue
		}
		p := tableProblems(ts.Table())
		if name == "naive" {
			// The checker itself: the 2019 attempt takes the invalidation
			// lock shared around the whole read (copy-out included) and in
			// the fault and page_mkwrite.
			if len(p) != 2 {
				t.Errorf("naive: want 2 problems (fault, mkwrite), got %q", p)
			}
			continue
		}
		if len(p) > 0 {
			t.Errorf("%s: %s", name, strings.Join(p, "; "))
		}
	}
	// And a table that takes i_rwsem in the fault.
	if p := tableProblems(vfs.Table{vfs.SiteFaultCreate: vfs.S(vfs.LockIRwsem)}); len(p) != 1 {
		t.Errorf("i_rwsem in the fault: want 1 problem, got %q", p)
	}
}

// violationFS is a small filesystem with the validator on, collecting.
func violationFS(t *testing.T, s vfs.Strategy) (*vfs.FS, *[]string) {
	t.Helper()
	var violations []string
	fs, err := vfs.New(blockdev.NewMemory(256, 0), s, 2, 64*ps, vfs.Options{
		CacheBytes:       64 * ps,
		FaultAroundPages: 16,
		Validate:         true,
		OnViolation:      func(v string) { violations = append(violations, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs, &violations
}

// TestLockOrderInversionCaught: a hand-made strategy that takes i_rwsem
// anywhere in the fault path makes a fault report a violation (mmap_lock,
// rank 2, is held; i_rwsem is rank 1), and the same table with the
// invalidation lock instead (rank 3) reports none.
func TestLockOrderInversionCaught(t *testing.T) {
	for _, site := range faultPathSites {
		t.Run(site.String(), func(t *testing.T) {
			fault := func(tk *vfs.Task) error {
				if site == vfs.SiteMkwrite {
					return tk.FaultWrite(0, 8*ps, make([]byte, ps))
				}
				buf := make([]byte, ps)
				return tk.FaultRead(0, 8*ps, buf) // a cold page: fault, read-around, create
			}
			for _, lock := range []vfs.LockKind{vfs.LockIRwsem, vfs.LockInval} {
				tb := vfs.Table{
					vfs.SitePunch:    vfs.X(vfs.LockInval),
					vfs.SiteTruncate: vfs.X(vfs.LockInval),
					vfs.SiteZero:     vfs.X(vfs.LockInval),
				}
				tb[site] = vfs.S(lock)
				fs, violations := violationFS(t, vfs.NewTableStrategy("test", "i_mmap_sem", tb))
				tk := fs.NewTask()
				if err := fault(tk); err != nil {
					t.Fatal(err)
				}
				if err := tk.Close(); err != nil {
					t.Fatal(err)
				}
				if lock == vfs.LockInval {
					if len(*violations) > 0 {
						t.Errorf("invalidation lock at %v: unexpected violation:\n%s", site, (*violations)[0])
					}
					continue
				}
				want := fmt.Sprintf("lock order violation: i_rwsem (shared) taken at %v while holding mmap_lock", site)
				if len(*violations) == 0 {
					t.Fatalf("i_rwsem at %v under mmap_lock: no violation reported", site)
				}
				for _, v := range *violations {
					if !strings.Contains(v, want) {
						t.Errorf("violation %q does not say %q", v, want)
					}
				}
			}
		})
	}
}

// TestLockOrderRecursiveCaught: a strategy that takes its lock shared both
// around the read batch and again around the readahead inside it acquires it
// recursively, which deadlocks behind a queued punch (writer-preferring, like
// the kernel's rwsem): the validator reports it.
func TestLockOrderRecursiveCaught(t *testing.T) {
	fs, violations := violationFS(t, vfs.NewTableStrategy("recursive", "i_mmap_sem", vfs.Table{
		vfs.SiteReadBatch: vfs.S(vfs.LockInval),
		vfs.SiteReadahead: vfs.S(vfs.LockInval),
		vfs.SitePunch:     vfs.X(vfs.LockInval),
	}))
	tk := fs.NewTask()
	defer tk.Close()
	buf := make([]byte, ps)
	if _, err := tk.Read(0, 0, buf); err != nil {
		t.Fatal(err)
	}
	if len(*violations) == 0 {
		t.Fatal("recursive shared acquisition not reported")
	}
	want := "recursive acquisition: i_mmap_sem (shared) taken at readahead while holding i_mmap_sem (shared) taken at read_batch"
	if !strings.Contains((*violations)[0], want) {
		t.Errorf("got %q, want it to say %q", (*violations)[0], want)
	}
}

// TestLockOrderPanicsWithoutHandler: with no OnViolation the validator panics
// on the first violation.
func TestLockOrderPanicsWithoutHandler(t *testing.T) {
	fs, err := vfs.New(blockdev.NewMemory(64, 0), vfs.NewTableStrategy("inverted", "i_mmap_sem", vfs.Table{
		vfs.SiteFault: vfs.S(vfs.LockIRwsem),
	}), 1, 16*ps, vfs.Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	tk := fs.NewTask()
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "lock order violation") {
			t.Errorf("recovered %v, want a lock order violation", r)
		}
	}()
	tk.FaultRead(0, 0, make([]byte, ps))
}
