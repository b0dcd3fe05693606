package rawio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/rwbench/rwbench/sigbus"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	nFiles   = 2
	nPages   = 32
	fileSize = nPages * pageSize
)

func stamped(file, page, gen int) []byte {
	p := make([]byte, pageSize)
	for i := 0; i < len(p); i += 16 {
		binary.LittleEndian.PutUint64(p[i:], 0x0101010101010101|uint64(file)<<8|uint64(page)<<24)
		binary.LittleEndian.PutUint64(p[i+8:], 0x0101010101010101|uint64(gen)<<16|uint64(i)<<32)
	}
	return p
}

func newTarget(t *testing.T) (*Target, *Worker) {
	t.Helper()
	dir := t.TempDir()
	tg, err := New(dir, nFiles, fileSize)
	if errors.Is(err, unix.EINVAL) {
		t.Skipf("no O_DIRECT on %s: %v", dir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Close(); err != nil {
			t.Error(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("Close left %d files", len(ents))
		}
	})
	w, err := tg.NewWorker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return tg, w
}

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

func TestReadWriteFaultPaths(t *testing.T) {
	tg, w := newTarget(t)
	if tg.Name() != "raw" || tg.Check() != nil {
		t.Fatalf("Name %q Check %v", tg.Name(), tg.Check())
	}
	for f := range nFiles {
		for p := range nPages {
			var err error
			if p%2 == 0 {
				_, err = w.Write(f, int64(p)*pageSize, stamped(f, p, 1))
			} else {
				err = w.FaultWrite(f, int64(p)*pageSize, stamped(f, p, 1))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tg.Quiesce(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, pageSize)
	for f := range nFiles {
		for p := range nPages {
			want := stamped(f, p, 1)
			if n, err := w.Read(f, int64(p)*pageSize, buf); err != nil || n != pageSize || !bytes.Equal(buf, want) {
				t.Fatalf("Read f%d p%d: %d, %v", f, p, n, err)
			}
			clear(buf)
			if err := w.FaultRead(f, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
				t.Fatalf("FaultRead f%d p%d: %v", f, p, err)
			}
		}
	}
	// Multi-page reads (the bounce buffer grows), across EOF, at EOF, unaligned.
	big := make([]byte, 8*pageSize)
	if n, err := w.Read(1, 0, big); err != nil || n != len(big) || !bytes.Equal(big[3*pageSize:4*pageSize], stamped(1, 3, 1)) {
		t.Errorf("8-page read: %d, %v", n, err)
	}
	if n, err := w.Read(1, (nPages-2)*pageSize, big); err != nil || n != 2*pageSize {
		t.Errorf("read across EOF: %d, %v", n, err)
	}
	if n, err := w.Read(1, fileSize, big); err != nil || n != 0 {
		t.Errorf("read at EOF: %d, %v", n, err)
	}
	small := make([]byte, 100)
	if n, err := w.Read(0, 5*pageSize+4000, small); err != nil || n != 100 {
		t.Errorf("unaligned read: %d, %v", n, err)
	} else {
		want := append(stamped(0, 5, 1)[4000:], stamped(0, 6, 1)[:4]...)
		if !bytes.Equal(small, want) {
			t.Errorf("unaligned read: wrong bytes")
		}
	}
	if _, err := w.Write(0, 100, buf); !errors.Is(err, ErrUnaligned) {
		t.Errorf("unaligned write: %v", err)
	}
	if err := w.Advise(0, 0, fileSize); err != nil {
		t.Error(err)
	}
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
		if err := w.FaultRead(0, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("p%d after punch: %v, zero %v", p, err, bytes.Equal(buf, zero))
		}
	}
	if err := w.Truncate(0, 10*pageSize); err != nil {
		t.Fatal(err)
	}
	if err := w.FaultRead(0, 10*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("FaultRead beyond EOF: %v", err)
	}
	if err := w.FaultWrite(0, 12*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
		t.Errorf("FaultWrite beyond EOF: %v", err)
	}
	if fi, _ := os.Stat(w.t.Path(0)); fi.Size() != 10*pageSize {
		t.Errorf("FaultWrite beyond EOF changed the size to %d", fi.Size())
	}
	// A page straddling EOF: its tail reads as zeros.
	if err := w.Truncate(0, 9*pageSize+100); err != nil {
		t.Fatal(err)
	}
	if err := w.FaultRead(0, 9*pageSize, buf); err != nil || !bytes.Equal(buf[:100], stamped(0, 9, 2)[:100]) || !bytes.Equal(buf[100:], zero[100:]) {
		t.Errorf("FaultRead of the EOF page: %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	_, w := newTarget(t)
	buf := stamped(0, 1, 1)
	for name, op := range map[string]func(){
		"Read":       func() { w.Read(0, pageSize, buf) },
		"Write":      func() { w.Write(0, pageSize, buf) },
		"FaultRead":  func() { w.FaultRead(0, pageSize, buf) },
		"FaultWrite": func() { w.FaultWrite(0, pageSize, buf) },
		"Punch":      func() { w.Punch(0, 2*pageSize, pageSize) },
	} {
		if a := testing.AllocsPerRun(100, op); a != 0 {
			t.Errorf("%s: %v allocs per op", name, a)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(t.TempDir()+"/missing", 1, pageSize); err == nil {
		t.Error("New in a missing directory succeeded")
	}
	if _, err := New(t.TempDir(), 0, pageSize); err == nil {
		t.Error("New with no files succeeded")
	}
}

// TestConcurrentPunch runs two readers (Read and FaultRead) against a puncher
// that punches ranges and writes them back, for 200 ms: every byte read must be
// the written byte or zero.
func TestConcurrentPunch(t *testing.T) {
	tg, w0 := newTarget(t)
	var want [nPages][]byte
	for p := range want {
		want[p] = stamped(0, p, 1)
		w0.Write(0, int64(p)*pageSize, want[p])
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, punches atomic.Int64
	reader := func(seed uint64, fault bool) {
		defer wg.Done()
		w, _ := tg.NewWorker()
		r := rand.New(rand.NewPCG(seed, 1))
		buf := make([]byte, pageSize)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p := r.IntN(nPages)
			var err error
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
			for i, b := range buf {
				if b != 0 && b != want[p][i] {
					t.Errorf("fault=%v page %d byte %d: %#x, want %#x or 0", fault, p, i, b, want[p][i])
					return
				}
			}
		}
	}
	wg.Add(3)
	go reader(1, false)
	go reader(2, true)
	go func() {
		defer wg.Done()
		w, _ := tg.NewWorker()
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
	t.Logf("%d reads, %d punches", reads.Load(), punches.Load())
	if reads.Load() == 0 || punches.Load() == 0 {
		t.Error("no reads or no punches")
	}
}
