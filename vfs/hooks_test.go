package vfs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// The model calls the strategy where the kernel has the hook: a write that
// creates a page inserts it through SitePageInsert (add_to_page_cache, where
// perpage takes its lock), and a read fault maps its neighbours through
// SiteFaultAround (->map_pages, where irwsem takes MMAPLOCK).
func TestHookSites(t *testing.T) {
	const pages = 32
	rec := newRecorder(strategies.IRwsem(), pages)
	fs, err := vfs.New(blockdev.NewMemory(pages+16, 0), rec, 1, pages*ps, vfs.Options{
		CacheBytes: 2 * pages * ps, FaultAroundPages: 16, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	tk := fs.NewTask()
	defer tk.Close()
	count := func(s vfs.Site) int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.calls[s]
	}

	buf := make([]byte, 16*ps)
	if _, err := tk.Write(0, 0, buf); err != nil {
		t.Fatal(err)
	}
	if got := count(vfs.SitePageInsert); got != 16 {
		t.Errorf("a write creating 16 pages called the page-insert hook %d times, want 16", got)
	}
	if _, err := tk.Write(0, 0, buf[:ps]); err != nil {
		t.Fatal(err)
	}
	if got := count(vfs.SitePageInsert); got != 16 {
		t.Errorf("a write to a cached page called the page-insert hook (%d calls, want 16)", got)
	}

	if err := tk.FaultRead(0, 3*ps, buf[:ps]); err != nil {
		t.Fatal(err)
	}
	if got := count(vfs.SiteFaultAround); got != 1 {
		t.Errorf("a read fault among cached pages called the fault-around hook %d times, want 1", got)
	}
	if got := count(vfs.SiteFault); got != 0 {
		t.Errorf("fault-around mapped the page, yet ->fault was called %d times", got)
	}
	rec.check(t)
}

// A read that finds a page locked by readahead in flight waits for it without
// the strategy's lock (filemap_update_page drops invalidate_lock first), so a
// punch queued for the lock is not held up behind the reader too.
func TestUpdatePageWaitsWithoutTheLock(t *testing.T) {
	const pages = 64
	const latency = 300 * time.Millisecond
	fs, err := vfs.New(blockdev.NewMemory(pages+16, latency), strategies.Invalidate(), 1, pages*ps, vfs.Options{
		CacheBytes: 2 * pages * ps, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	writer := fs.NewTask()
	if _, err := writer.Write(0, 0, make([]byte, pages*ps)); err != nil {
		t.Fatal(err)
	}
	writer.Close()
	if err := fs.Quiesce(); err != nil {
		t.Fatal(err)
	}

	ra, rd := fs.NewTask(), fs.NewTask()
	defer ra.Close()
	defer rd.Close()
	raDone := make(chan error, 1)
	go func() { raDone <- ra.Advise(0, 0, 16*ps) }() // inserts 16 locked pages, then one slow read
	deadline := time.Now().Add(10 * time.Second)
	for fs.CachedPages() < 16 {
		if time.Now().After(deadline) {
			t.Fatal("readahead inserted no pages")
		}
		time.Sleep(time.Millisecond)
	}
	rdDone := make(chan error, 1)
	go func() {
		_, err := rd.Read(0, 5*ps, make([]byte, ps))
		rdDone <- err
	}()
	for {
		h := rd.Held()
		if strings.Contains(h, "waits for page_lock") {
			if strings.Contains(h, "invalidate_lock (shared) at") {
				t.Errorf("the reader waits for the locked page holding the invalidation lock: %s", h)
			}
			break
		}
		select {
		case err := <-rdDone:
			// The readahead finished first (a loaded machine): nothing was seen.
			t.Skipf("the read ended (%v) before it was seen waiting", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader was never seen waiting for the page: %s", h)
		}
		time.Sleep(100 * time.Microsecond)
	}
	if err := <-raDone; err != nil {
		t.Fatal(err)
	}
	if err := <-rdDone; err != nil {
		t.Fatal(err)
	}
}
