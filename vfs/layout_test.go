package vfs

import (
	"bytes"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
)

// TestLayoutContiguous checks that files written at once, in any order, lie
// contiguous on the store, each in its own extent, and that a punched block
// still goes to the next write that needs one, whichever file it is in.
func TestLayoutContiguous(t *testing.T) {
	const files, pages = 3, 32
	fs, err := New(blockdev.NewMemory(files*pages+8, 0), NewTableStrategy("none", "", Table{}), files, pages*PageSize,
		Options{CacheBytes: files * pages * PageSize, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	var tasks [files]*Task
	for f := range tasks {
		tasks[f] = fs.NewTask()
	}
	t.Cleanup(func() {
		for _, tk := range tasks {
			tk.Close()
		}
		fs.Close()
	})
	write := func(tk *Task, f int, idx uint64) {
		t.Helper()
		if _, err := tk.Write(f, int64(idx)*PageSize, bytes.Repeat([]byte{byte(f + 1)}, PageSize)); err != nil {
			t.Fatalf("file %d page %d: %v", f, idx, err)
		}
	}
	// The files interleaved page by page: file 0 forwards, file 1 backwards,
	// file 2 its odd pages and then its even ones.
	for i := range uint64(pages) {
		write(tasks[0], 0, i)
		write(tasks[1], 1, pages-1-i)
		write(tasks[2], 2, (2*i+1)%(pages+1))
	}
	for f := range files {
		ino, _ := fs.inode(f)
		for i := range uint64(pages) {
			if got, want := ino.bmap[i], 1+uint64(f)*pages+i; got != want {
				t.Fatalf("file %d page %d at block %d, want %d", f, i, got, want)
			}
		}
	}
	// Punch file 1's page 9, then file 0's page 5: refilled, file 1's page 9
	// gets file 0's old block, the last freed.
	ino0, _ := fs.inode(0)
	ino1, _ := fs.inode(1)
	freed := ino0.bmap[5]
	for _, p := range []struct {
		file int
		idx  int64
	}{{1, 9}, {0, 5}} {
		if err := tasks[0].Punch(p.file, p.idx*PageSize, PageSize); err != nil {
			t.Fatal(err)
		}
	}
	write(tasks[2], 1, 9)
	if got := ino1.bmap[9]; got != freed {
		t.Fatalf("file 1's refilled page 9 at block %d, want %d (file 0's page 5, punched last)", got, freed)
	}
}
