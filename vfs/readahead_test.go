package vfs

import (
	"testing"
	"time"

	"github.com/rwbench/rwbench/blockdev"
)

// TestReadaheadSubmits checks, over a device with a 300ms service time, that
// fadvise(WILLNEED) submits its reads and returns at once, holding its lock
// (here i_rwsem shared, as irwsem takes it) only while it submits, so a write
// goes ahead while the reads are in flight; and that a reader of a page in
// flight waits on its page lock for that read, not for one of its own. (Not in
// a synctest bubble: a task waiting on a page lock, a mutex, is not durably
// blocked, so the bubble's clock would never move.) The bounds leave half the
// service time for a loaded machine.
func TestReadaheadSubmits(t *testing.T) {
	const lat = 300 * time.Millisecond
	store := blockdev.NewMemoryDevice(256, blockdev.Device{Latency: lat})
	fs, err := New(store, NewTableStrategy("irwsem", "MMAPLOCK", Table{
		SiteReadEntry: S(LockIRwsem), SiteAdvise: S(LockIRwsem)}), 1, 64*PageSize, Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	tk, w := fs.NewTask(), fs.NewTask()
	defer tk.Close()
	defer w.Close()
	page := make([]byte, PageSize)
	for i := range int64(64) {
		page[0] = byte(i)
		if _, err := w.Write(0, i*PageSize, page); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Quiesce(); err != nil {
		t.Fatal(err)
	}
	elapsed := func(what string, most time.Duration, op func() error) {
		t.Helper()
		start := time.Now()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := time.Since(start); got > most {
			t.Errorf("%s took %v, want at most %v", what, got, most)
		}
	}
	start := time.Now()
	elapsed("advise of 32 pages", lat/2, func() error { return tk.Advise(0, 0, 32*PageSize) })
	elapsed("a write beside the reads in flight", lat/2, func() error {
		_, err := w.Write(0, 40*PageSize, page)
		return err
	})
	elapsed("a read of a page in flight", lat+lat/2-time.Since(start), func() error {
		_, err := tk.Read(0, 31*PageSize, page)
		return err
	})
	if page[0] != 31 {
		t.Errorf("page 31 reads %d", page[0])
	}
	buf := make([]byte, 32*PageSize)
	elapsed("a read of the pages advise brought in", lat/2, func() error {
		_, err := tk.Read(0, 0, buf)
		return err
	})
	if v := fs.Violations(); len(v) > 0 {
		t.Errorf("lock validator: %v", v)
	}
}
