package vfs

import (
	"bytes"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
)

// hitFS is one file of 16 pages through a cache of 8, with no strategy: the
// tests below drive one task, so nothing races.
func hitFS(t *testing.T) (*FS, *Task) {
	t.Helper()
	fs, err := New(blockdev.NewMemory(64, 0), NewTableStrategy("none", "", Table{}), 1, 16*PageSize,
		Options{CacheBytes: 8 * PageSize, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	tk := fs.NewTask()
	t.Cleanup(func() { tk.Close(); fs.Close() })
	return fs, tk
}

// TestHitFollowsPage checks the slot's hit through each way a page's data or
// membership changes: it is set by a second read, follows a write and a store
// through a mapping, and is gone after a punch and after reclaim's second chance.
func TestHitFollowsPage(t *testing.T) {
	page := func(b byte) []byte { return bytes.Repeat([]byte{b}, PageSize) }
	read := func(tk *Task, idx int64) []byte {
		buf := make([]byte, PageSize)
		if n, err := tk.Read(0, idx*PageSize, buf); err != nil || n != PageSize {
			t.Fatalf("read page %d: %d, %v", idx, n, err)
		}
		return buf
	}
	type step struct {
		name string
		do   func(t *testing.T, fs *FS, tk *Task)
		want byte // what page 3 reads afterwards
		hit  bool // whether its slot has the data afterwards
	}
	write := func(b byte) func(*testing.T, *FS, *Task) {
		return func(t *testing.T, _ *FS, tk *Task) {
			if _, err := tk.Write(0, 3*PageSize, page(b)); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []step{
		{"write", write(1), 1, false},
		{"read sets hit", func(t *testing.T, _ *FS, tk *Task) { read(tk, 3) }, 1, true},
		{"write moves hit", write(2), 2, true},
		{"store through a mapping moves hit", func(t *testing.T, _ *FS, tk *Task) {
			if err := tk.FaultWrite(0, 3*PageSize, page(3)); err != nil {
				t.Fatal(err)
			}
		}, 3, true},
		{"punch clears hit", func(t *testing.T, _ *FS, tk *Task) {
			if err := tk.Punch(0, 3*PageSize, PageSize); err != nil {
				t.Fatal(err)
			}
		}, 0, false},
		{"write again (the read after the punch cached a hole page)", write(4), 4, true},
		{"read sets hit again", func(t *testing.T, _ *FS, tk *Task) { read(tk, 3) }, 4, true},
		{"reclaim's second chance clears hit", func(t *testing.T, fs *FS, tk *Task) {
			if err := fs.Quiesce(); err != nil { // clean, unmapped, and out of the cache
				t.Fatal(err)
			}
			read(tk, 3)
			read(tk, 3) // referenced, hit
			tk.reclaim(1)
		}, 4, false},
	}
	fs, tk := hitFS(t)
	m := &fs.inodes[0].Mapping
	for _, s := range steps {
		s.do(t, fs, tk)
		h := m.slots[3].hit.Load()
		if got := h != nil; got != s.hit {
			t.Fatalf("%s: hit set = %v, want %v", s.name, got, s.hit)
		}
		if p := m.slots[3].page.Load(); h != nil && (p == nil || p.data.Load() != h) {
			t.Fatalf("%s: hit is not the page's data", s.name)
		}
		tk.mm.unmapAll(tk) // a mapped page never gets a hit: let the read below set it
		if got := read(tk, 3); !bytes.Equal(got, page(s.want)) {
			t.Fatalf("%s: page 3 reads %d..., want %d", s.name, got[0], s.want)
		}
		// The read above may have set hit: it must agree with the page.
		if h := m.slots[3].hit.Load(); h != nil && m.slots[3].page.Load().data.Load() != h {
			t.Fatalf("%s: after a read, hit is not the page's data", s.name)
		}
	}
	if v := fs.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
}
