package rawio

// What both targets on host files do alike is tested in package hostfiles;
// here is what only the raw target does: align its buffers, read unaligned
// spans through them, and refuse unaligned writes.

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 3 * 4096, 1 << 20} {
		b := AlignedBuffer(n)
		if len(b) != n || cap(b) != n {
			t.Errorf("AlignedBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		if n > 0 && uintptr(unsafe.Pointer(&b[0]))%Align != 0 {
			t.Errorf("AlignedBuffer(%d) at %p", n, &b[0])
		}
	}
}

func TestAlignment(t *testing.T) {
	dir := t.TempDir()
	tg, err := New(dir, 1, 8*pageSize)
	if errors.Is(err, unix.EINVAL) {
		t.Skipf("no O_DIRECT on %s: %v", dir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	w, _ := tg.NewWorker()
	data := make([]byte, 2*pageSize)
	for i := range data {
		data[i] = byte(i%251 + 1)
	}
	if _, err := w.Write(0, 5*pageSize, data); err != nil {
		t.Fatal(err)
	}
	small := make([]byte, 100)
	if n, err := w.Read(0, 5*pageSize+4000, small); err != nil || n != 100 || !bytes.Equal(small, data[4000:4100]) {
		t.Errorf("unaligned read: %d, %v, equal %v", n, err, bytes.Equal(small, data[4000:4100]))
	}
	if _, err := w.Write(0, 100, data[:pageSize]); !errors.Is(err, ErrUnaligned) {
		t.Errorf("write at an unaligned offset: %v", err)
	}
	if _, err := w.Write(0, 0, data[:100]); !errors.Is(err, ErrUnaligned) {
		t.Errorf("write of an unaligned length: %v", err)
	}
	if _, err := w.Read(0, -1, small); err == nil {
		t.Error("read at a negative offset succeeded")
	}
}
