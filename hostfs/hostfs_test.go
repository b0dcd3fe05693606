package hostfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/rwbench/rwbench/sigbus"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	pageSize = 4096
	nFiles   = 2
	nPages   = 64
	fileSize = nPages * pageSize
)

// stamp fills p with a page stamp: (file, page, gen) in every 16-byte word,
// with no zero byte, so a byte of zero is never part of a stamp.
func stamp(p []byte, file, page, gen int) {
	for i := 0; i < len(p); i += 16 {
		binary.LittleEndian.PutUint64(p[i:], 0x0101010101010101|uint64(file)<<8|uint64(page)<<24)
		binary.LittleEndian.PutUint64(p[i+8:], 0x0101010101010101|uint64(gen)<<16|uint64(i)<<32)
	}
}

func stamped(file, page, gen int) []byte {
	p := make([]byte, pageSize)
	stamp(p, file, page, gen)
	return p
}

func newTarget(t *testing.T) (*Target, *Worker) {
	t.Helper()
	dir := t.TempDir()
	tg, err := New(dir, nFiles, fileSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Close(); err != nil {
			t.Error(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("Close left %d files in %s", len(ents), dir)
		}
	})
	w, err := tg.NewWorker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return tg, w
}

func TestReadWriteFaultPaths(t *testing.T) {
	tg, w := newTarget(t)
	if tg.Name() != "kernel" || tg.Check() != nil {
		t.Fatalf("Name %q Check %v", tg.Name(), tg.Check())
	}
	for f := range nFiles {
		fi, err := os.Stat(tg.Paths()[f])
		if err != nil || fi.Size() != fileSize {
			t.Fatalf("file %d: %v, %v", f, fi, err)
		}
		for p := range nPages {
			if p%2 == 0 {
				if n, err := w.Write(f, int64(p)*pageSize, stamped(f, p, 1)); err != nil || n != pageSize {
					t.Fatalf("Write: %d, %v", n, err)
				}
			} else if err := w.FaultWrite(f, int64(p)*pageSize, stamped(f, p, 1)); err != nil {
				t.Fatalf("FaultWrite: %v", err)
			}
		}
	}
	check := func(when string) {
		t.Helper()
		buf := make([]byte, pageSize)
		for f := range nFiles {
			for p := range nPages {
				want := stamped(f, p, 1)
				if n, err := w.Read(f, int64(p)*pageSize, buf); err != nil || n != pageSize || !bytes.Equal(buf, want) {
					t.Fatalf("%s: Read f%d p%d: %d, %v, equal %v", when, f, p, n, err, bytes.Equal(buf, want))
				}
				clear(buf)
				if err := w.FaultRead(f, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
					t.Fatalf("%s: FaultRead f%d p%d: %v, equal %v", when, f, p, err, bytes.Equal(buf, want))
				}
			}
		}
	}
	check("before Quiesce")
	if err := w.Advise(0, 0, fileSize); err != nil {
		t.Fatal(err)
	}
	if err := tg.Quiesce(); err != nil {
		t.Fatal(err)
	}
	r := resident(t, tg.Paths()[0])
	t.Logf("%d of %d pages cached after Quiesce", r, nPages)
	if r > nPages/8 {
		t.Errorf("%d of %d pages still cached after Quiesce", r, nPages)
	}
	check("after Quiesce")

	// A multi-page read, and a read past EOF returns a short count.
	big := make([]byte, 4*pageSize)
	if n, err := w.Read(1, (nPages-2)*pageSize, big); err != nil || n != 2*pageSize {
		t.Errorf("read across EOF: %d, %v", n, err)
	}
	if n, err := w.Read(1, fileSize, big); err != nil || n != 0 {
		t.Errorf("read at EOF: %d, %v", n, err)
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

func TestPunchZeroTruncate(t *testing.T) {
	_, w := newTarget(t)
	for p := range nPages {
		w.Write(0, int64(p)*pageSize, stamped(0, p, 2))
	}
	zero := make([]byte, pageSize)
	buf := make([]byte, pageSize)
	if err := w.Punch(0, 4*pageSize, 4*pageSize); err != nil {
		t.Fatal(err)
	}
	if err := w.ZeroRange(0, 16*pageSize, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	for p := range nPages {
		want := stamped(0, p, 2)
		if (p >= 4 && p < 8) || p == 16 || p == 17 {
			want = zero
		}
		if _, err := w.Read(0, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("Read p%d after punch: %v, zero %v", p, err, bytes.Equal(buf, zero))
		}
		if err := w.FaultRead(0, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("FaultRead p%d after punch: %v, zero %v", p, err, bytes.Equal(buf, zero))
		}
	}

	// Beyond EOF: faults return sigbus.ErrBeyondEOF and the process lives on.
	if err := w.Truncate(0, 10*pageSize); err != nil {
		t.Fatal(err)
	}
	if err := w.FaultRead(0, 10*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("FaultRead beyond EOF: %v", err)
	}
	if err := w.FaultWrite(0, 20*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("FaultWrite beyond EOF: %v", err)
	}
	if err := w.FaultRead(0, 9*pageSize, buf); err != nil || !bytes.Equal(buf, stamped(0, 9, 2)) {
		t.Errorf("FaultRead of the last page: %v", err)
	}
	// Growing the file past the worker's mapping remaps it.
	if err := w.Truncate(0, 2*fileSize); err != nil {
		t.Fatal(err)
	}
	if err := w.FaultWrite(0, fileSize+pageSize, stamped(0, nPages+1, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Read(0, fileSize+pageSize, buf); err != nil || !bytes.Equal(buf, stamped(0, nPages+1, 3)) {
		t.Errorf("Read after FaultWrite into the grown file: %v", err)
	}
	if err := w.FaultRead(0, fileSize+2*pageSize, buf); err != nil || !bytes.Equal(buf, zero) {
		t.Errorf("FaultRead of the grown file's hole: %v", err)
	}
	if err := w.FaultRead(0, 3, buf); err == nil {
		t.Error("FaultRead at an unaligned offset succeeded")
	}
	if _, err := w.Read(nFiles, 0, buf); err == nil {
		t.Error("Read of a file out of range succeeded")
	}
}

// TestSIGBUSRecovered truncates the file between the size check and the access,
// the race the fstat check cannot close: the SIGBUS must come back as
// sigbus.ErrBeyondEOF, not crash the test binary.
func TestSIGBUSRecovered(t *testing.T) {
	tg, wr := newTarget(t)
	w := wr
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

func TestNoAllocs(t *testing.T) {
	_, w := newTarget(t)
	buf := stamped(0, 1, 1)
	w.Write(0, pageSize, buf)
	w.FaultRead(0, pageSize, buf) // maps the file
	for name, op := range map[string]func(){
		"Read":       func() { w.Read(0, pageSize, buf) },
		"Write":      func() { w.Write(0, pageSize, buf) },
		"FaultRead":  func() { w.FaultRead(0, pageSize, buf) },
		"FaultWrite": func() { w.FaultWrite(0, pageSize, buf) },
		"Punch":      func() { w.Punch(0, 2*pageSize, pageSize) },
		"Advise":     func() { w.Advise(0, 0, pageSize) },
	} {
		if a := testing.AllocsPerRun(200, op); a != 0 {
			t.Errorf("%s: %v allocs per op", name, a)
		}
	}
}

// TestConcurrentPunch runs two readers (one with read(2), one with faults) and
// a puncher for 200 ms: every byte read must be the written byte or zero. The
// puncher writes each punched range back with the same data afterwards.
func TestConcurrentPunch(t *testing.T) {
	tg, w0 := newTarget(t)
	for p := range nPages {
		w0.Write(0, int64(p)*pageSize, stamped(0, p, 1))
	}
	var want [nPages][]byte
	for p := range want {
		want[p] = stamped(0, p, 1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, zeroPages, punches atomic.Int64
	reader := func(seed uint64, fault bool) {
		defer wg.Done()
		w, err := tg.NewWorker()
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		r := rand.New(rand.NewPCG(seed, 1))
		buf := make([]byte, pageSize)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p := r.IntN(nPages)
			if fault {
				err = w.FaultRead(0, int64(p)*pageSize, buf)
			} else {
				_, err = w.Read(0, int64(p)*pageSize, buf)
			}
			if err != nil {
				t.Error(err)
				return
			}
			reads.Add(1)
			zeros := 0
			for i, b := range buf {
				if b == 0 {
					zeros++
				} else if b != want[p][i] {
					t.Errorf("fault=%v page %d byte %d: %#x, want %#x or 0", fault, p, i, b, want[p][i])
					return
				}
			}
			if zeros == pageSize {
				zeroPages.Add(1)
			}
		}
	}
	wg.Add(3)
	go reader(1, false)
	go reader(2, true)
	go func() {
		defer wg.Done()
		w, err := tg.NewWorker()
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		r := rand.New(rand.NewPCG(3, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			p, n := r.IntN(nPages-4), 1+r.IntN(4)
			if err := w.Punch(0, int64(p)*pageSize, int64(n)*pageSize); err != nil {
				t.Error(err)
				return
			}
			punches.Add(1)
			// Put the data back, so the readers keep meeting both.
			for i := p; i < p+n; i++ {
				if _, err := w.Write(0, int64(i)*pageSize, want[i]); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d reads (%d all-zero pages), %d punches", reads.Load(), zeroPages.Load(), punches.Load())
	if reads.Load() == 0 || punches.Load() == 0 {
		t.Error("no reads or no punches")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "missing"), 1, pageSize); err == nil {
		t.Error("New in a missing directory succeeded")
	}
	if _, err := New(t.TempDir(), 0, pageSize); err == nil {
		t.Error("New with no files succeeded")
	}
}
