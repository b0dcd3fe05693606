package vfs_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
	"golang.org/x/sys/unix"
)

// TestWritebackError: a page whose writeback failed keeps its data and stays
// dirty, so nothing drops it and no later read returns the older block; the
// next writeback, once the device takes writes again, writes it.
func TestWritebackError(t *testing.T) {
	var failing atomic.Bool
	store := blockdev.NewFaulty(blockdev.NewMemory(256, 0), "test", blockdev.Faults{
		WriteEIO: func(uint64, int) bool { return failing.Load() }})
	s, err := strategies.New("invalidate")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := vfs.New(store, s, 1, 16*vfs.PageSize, vfs.Options{CacheBytes: 16 * vfs.PageSize, Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	tk := fs.NewTask()
	defer tk.Close()
	const off = 3 * vfs.PageSize
	read := func(what string, want byte) {
		t.Helper()
		buf := make([]byte, vfs.PageSize)
		if n, err := tk.Read(0, off, buf); n != vfs.PageSize || err != nil || buf[0] != want {
			t.Errorf("%s: read %d bytes (%v), data %d, want %d", what, n, err, buf[0], want)
		}
	}
	if _, err := tk.Write(0, off, page('A')); err != nil {
		t.Fatal(err)
	}
	if err := fs.Quiesce(); err != nil {
		t.Fatal(err)
	}

	failing.Store(true)
	if _, err := tk.Write(0, off, page('B')); err != nil {
		t.Fatal(err) // under the dirty limits: no writeback yet
	}
	if err := tk.Sync(0); !errors.Is(err, unix.EIO) {
		t.Fatalf("sync with the write failing: %v, want EIO", err)
	}
	if err := fs.Quiesce(); !errors.Is(err, unix.EIO) {
		t.Fatalf("quiesce with the write failing: %v, want EIO", err)
	}
	read("after the failed writeback", 'B') // still cached: the block holds 'A'

	failing.Store(false)
	if err := fs.Quiesce(); err != nil {
		t.Fatalf("quiesce once writes succeed: %v", err)
	}
	read("read cold after the retried writeback", 'B')
}
