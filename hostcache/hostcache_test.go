package hostcache

// What both targets on host files do alike is tested in package hostfiles;
// here is what only the kernel target does: drop its pages, remap a grown
// file, and survive a SIGBUS.

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"unsafe"

	"github.com/rwbench/rwbench/sigbus"
	"golang.org/x/sys/unix"
)

const (
	pageSize = 4096
	nFiles   = 2
	nPages   = 64
	fileSize = nPages * pageSize
)

// page returns a page filled with b, which is not zero.
func page(b byte) []byte { return bytes.Repeat([]byte{b}, pageSize) }

func newTarget(t *testing.T) (*Target, *Worker) {
	t.Helper()
	tg, err := New(t.TempDir(), nFiles, fileSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Close(); err != nil {
			t.Error(err)
		}
	})
	w, err := tg.NewWorker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return tg, w
}

// TestQuiesceDropsPages reads a file into the cache and maps it, then checks
// that Quiesce leaves almost none of its pages cached.
func TestQuiesceDropsPages(t *testing.T) {
	tg, w := newTarget(t)
	buf := make([]byte, pageSize)
	for p := range nPages {
		if _, err := w.Write(0, int64(p)*pageSize, page(1)); err != nil {
			t.Fatal(err)
		}
		if err := w.FaultRead(0, int64(p)*pageSize, buf); err != nil {
			t.Fatal(err)
		}
	}
	if r := resident(t, tg.Path(0)); r < nPages/2 {
		t.Fatalf("only %d of %d pages cached before Quiesce", r, nPages)
	}
	if err := tg.Quiesce(); err != nil {
		t.Fatal(err)
	}
	r := resident(t, tg.Path(0))
	t.Logf("%d of %d pages cached after Quiesce", r, nPages)
	if r > nPages/8 {
		t.Errorf("%d of %d pages still cached after Quiesce", r, nPages)
	}
	if _, err := w.Read(0, 0, buf); err != nil || !bytes.Equal(buf, page(1)) {
		t.Errorf("Read after Quiesce: %v", err)
	}
}

// TestWarmPagesCachesTheFile writes a file, drops it, and checks that
// WarmPages brings every page back into the cache with its data.
func TestWarmPagesCachesTheFile(t *testing.T) {
	tg, w := newTarget(t)
	for p := range nPages {
		if _, err := w.Write(1, int64(p)*pageSize, page(byte(p+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tg.Quiesce(); err != nil {
		t.Fatal(err)
	}
	if err := tg.WarmPages(1); err != nil {
		t.Fatal(err)
	}
	if r := resident(t, tg.Path(1)); r != nPages {
		t.Errorf("%d of %d pages cached after WarmPages", r, nPages)
	}
	buf := make([]byte, pageSize)
	for p := range nPages {
		if _, err := w.Read(1, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, page(byte(p+1))) {
			t.Fatalf("page %d after WarmPages: %v", p, err)
		}
	}
}

// resident counts the cached pages of the file at path with mincore(2).
func resident(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, fileSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, nPages)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestGrowRemaps grows a file past the worker's mapping: the next fault maps
// it again.
func TestGrowRemaps(t *testing.T) {
	_, w := newTarget(t)
	buf := make([]byte, pageSize)
	if err := w.FaultRead(0, 0, buf); err != nil { // maps fileSize bytes
		t.Fatal(err)
	}
	if err := w.Truncate(0, 2*fileSize); err != nil {
		t.Fatal(err)
	}
	if err := w.FaultWrite(0, fileSize+pageSize, page(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Read(0, fileSize+pageSize, buf); err != nil || !bytes.Equal(buf, page(3)) {
		t.Errorf("Read after FaultWrite into the grown file: %v", err)
	}
	if err := w.FaultRead(0, fileSize+2*pageSize, buf); err != nil || !bytes.Equal(buf, make([]byte, pageSize)) {
		t.Errorf("FaultRead of the grown file's hole: %v", err)
	}
}

// TestSIGBUSRecovered truncates the file between the size check and the access,
// the race the fstat check cannot close: the SIGBUS must come back as
// sigbus.ErrBeyondEOF, not crash the test binary.
func TestSIGBUSRecovered(t *testing.T) {
	tg, w := newTarget(t)
	page, err := w.page(0, 8*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Truncate(0, pageSize); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, pageSize)
	if err := tg.fault(page, buf, false); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("read fault beyond EOF: %v", err)
	}
	if err := tg.fault(page, buf, true); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("write fault beyond EOF: %v", err)
	}
	// Panic-on-fault is off again for this goroutine.
	if debug := setPanicOnFault(false); debug {
		t.Error("SetPanicOnFault left on")
	}
}
