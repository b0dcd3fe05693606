package vfs

import (
	"slices"
	"sync"
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

// readSizes is a store that records the length, in blocks, of every read.
type readSizes struct {
	blockdev.Store
	mu    sync.Mutex
	sizes []int
}

func (s *readSizes) ReadBlocks(blk uint64, bufs [][]byte) error {
	s.mu.Lock()
	s.sizes = append(s.sizes, len(bufs))
	s.mu.Unlock()
	return s.Store.ReadBlocks(blk, bufs)
}

// TestReadaheadLargeRequest checks ractl_max_pages: a sequential read larger
// than the readahead window is read in I/Os of the request's size (up to
// MaxIOPages), not in window-sized pieces, and each request's window is
// marked half-way, so that the next one is read ahead of the reader.
func TestReadaheadLargeRequest(t *testing.T) {
	const (
		pages = 1024 // a 4MiB file
		req   = 256  // 1MiB reads
	)
	for _, tc := range []struct {
		name     string
		window   int64 // cache.readahead
		wantLens []int // the reads' lengths in blocks, in order of submission
	}{
		// The first read reads its request in one I/O, and its marker (page
		// 128) reads the next request's pages; each later read meets the
		// marker the window before set, and the reads stay a request ahead.
		{"1MiB reads, 128KiB window", 128 << 10, []int{256, 256, 256, 256}},
		// A window four times the request: the first read reads twice its
		// request (get_init_ra_size), its marker at page 256 the rest.
		{"1MiB reads, 4MiB window", 4 << 20, []int{512, 512}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &readSizes{Store: blockdev.NewMemory(2*pages, 0)}
			fs, err := New(store, NewTableStrategy("none", "", Table{}), 1, pages*PageSize, Options{ReadaheadBytes: tc.window})
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			w := fs.NewTask()
			if _, err := w.Write(0, 0, make([]byte, pages*PageSize)); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			// Evict the clean pages (the clock's first pass clears their
			// referenced bits) so that the reads go to the store.
			k := fs.NewTask()
			for try := 0; fs.CachedPages() > 0 && try < 4; try++ {
				k.reclaim(pages)
			}
			k.Close()
			if n := fs.CachedPages(); n > 0 {
				t.Fatalf("%d pages still cached", n)
			}
			r := fs.NewTask()
			defer r.Close()
			buf := make([]byte, req*PageSize)
			for off := int64(0); off < pages*PageSize; off += int64(len(buf)) {
				if _, err := r.Read(0, off, buf); err != nil {
					t.Fatal(err)
				}
			}
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			store.mu.Lock()
			defer store.mu.Unlock()
			if !slices.Equal(store.sizes, tc.wantLens) {
				t.Errorf("reads of %v blocks, want %v", store.sizes, tc.wantLens)
			}
		})
	}
}
