package vfs_test

import (
	"bytes"
	"errors"
	"github.com/rwbench/rwbench/sigbus"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

func page(b byte) []byte { return bytes.Repeat([]byte{b}, vfs.PageSize) }

func newFS(t testing.TB, name string, o vfs.Options) *vfs.FS {
	t.Helper()
	s, err := strategies.New(name)
	if err != nil {
		t.Fatal(err)
	}
	o.Validate = true
	fs, err := vfs.New(blockdev.NewMemory(4096, 0), s, 2, 64*vfs.PageSize, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

func TestSmoke(t *testing.T) {
	for _, name := range strategies.Names() {
		t.Run(name, func(t *testing.T) {
			fs := newFS(t, name, vfs.Options{CacheBytes: 32 * vfs.PageSize, FaultAroundPages: 16})
			tk := fs.NewTask()
			defer tk.Close()
			for i := 0; i < 64; i++ {
				if _, err := tk.Write(0, int64(i)*vfs.PageSize, page(byte(i+1))); err != nil {
					t.Fatal(err)
				}
			}
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 3*vfs.PageSize)
			n, err := tk.Read(0, 5*vfs.PageSize, buf)
			if err != nil || n != len(buf) {
				t.Fatal(n, err)
			}
			for i := 0; i < 3; i++ {
				if buf[i*vfs.PageSize] != byte(6+i) {
					t.Fatalf("page %d: got %d", 5+i, buf[i*vfs.PageSize])
				}
			}
			one := make([]byte, vfs.PageSize)
			if err := tk.FaultRead(0, 40*vfs.PageSize, one); err != nil || one[0] != 41 {
				t.Fatal(one[0], err)
			}
			if err := tk.FaultWrite(0, 40*vfs.PageSize, page(200)); err != nil {
				t.Fatal(err)
			}
			if err := tk.Punch(0, 4*vfs.PageSize, 4*vfs.PageSize); err != nil {
				t.Fatal(err)
			}
			if n, _ := tk.Read(0, 5*vfs.PageSize, one); n != vfs.PageSize || one[0] != 0 {
				t.Fatalf("punched page reads %d", one[0])
			}
			if err := tk.Advise(0, 0, 64*vfs.PageSize); err != nil {
				t.Fatal(err)
			}
			if err := tk.Truncate(0, 32*vfs.PageSize); err != nil {
				t.Fatal(err)
			}
			if err := tk.FaultRead(0, 40*vfs.PageSize, one); !errors.Is(err, sigbus.ErrBeyondEOF) {
				t.Fatal("fault past EOF:", err)
			}
			if n, _ := tk.Read(0, 30*vfs.PageSize, buf); n != 2*vfs.PageSize {
				t.Fatal("short read at EOF:", n)
			}
			if err := tk.Truncate(0, 64*vfs.PageSize); err != nil {
				t.Fatal(err)
			}
			if err := tk.ZeroRange(0, 10*vfs.PageSize, 2*vfs.PageSize); err != nil {
				t.Fatal(err)
			}
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			if errs := fs.Check(); len(errs) > 0 {
				t.Fatal(errs)
			}
			if err := tk.FaultRead(0, 40*vfs.PageSize, one); err != nil || one[0] != 0 {
				t.Fatal("after truncate down and up page 40 reads", one[0], err)
			}
			if n, _ := tk.Read(0, 10*vfs.PageSize, one); n != vfs.PageSize || one[0] != 0 {
				t.Fatal("zeroed page reads", one[0])
			}
			if n, _ := tk.Read(0, 12*vfs.PageSize, one); one[0] != 13 {
				t.Fatal("page 12 reads", one[0], n)
			}
			if v := fs.Violations(); len(v) > 0 {
				t.Fatal(v)
			}
			t.Log(fs.LockStats())
		})
	}
}
