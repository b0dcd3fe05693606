package hostfiles_test

// The `kernel` (hostcache) and `raw` (rawio) targets both run on these files:
// the tests here hold both to what they promise alike. What only one of them
// does is tested in its own package.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwbench/rwbench/hostcache"
	"github.com/rwbench/rwbench/rawio"
	"github.com/rwbench/rwbench/sigbus"
	contract "github.com/rwbench/rwbench/target"
	"golang.org/x/sys/unix"
)

const (
	pageSize = 4096
	nFiles   = 2
	nPages   = 32
	fileSize = nPages * pageSize
)

// target is an open target of either package.
type target struct {
	name      string // the target's Name
	quiesce   func() error
	check     func() []string
	close     func() error
	paths     func() []string
	newWorker func() (contract.Worker, error)
}

// opener is the target type of either package, whose workers are W.
type opener[W contract.Worker] interface {
	Name() string
	Quiesce() error
	Check() []string
	Close() error
	Paths() []string
	NewWorker() (W, error)
}

// kind is a target package: its name and constructor.
type kind struct {
	name string
	open func(dir string, files int, size int64) (target, error)
}

// kindOf is the kind called name whose constructor is newTarget.
func kindOf[W contract.Worker, T opener[W]](name string, newTarget func(string, int, int64) (T, error)) kind {
	return kind{name, func(dir string, files int, size int64) (target, error) {
		t, err := newTarget(dir, files, size)
		if err != nil {
			return target{}, err
		}
		newWorker := func() (contract.Worker, error) {
			w, err := t.NewWorker()
			return w, err
		}
		return target{t.Name(), t.Quiesce, t.Check, t.Close, t.Paths, newWorker}, nil
	}}
}

func kinds() []kind {
	return []kind{
		kindOf[*hostcache.Worker]("kernel", hostcache.New),
		kindOf[*rawio.Worker]("raw", rawio.New),
	}
}

// forEach runs test for each kind of target, on a fresh target and worker.
func forEach(t *testing.T, test func(t *testing.T, tg target, w contract.Worker)) {
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) {
			dir := t.TempDir()
			tg, err := k.open(dir, nFiles, fileSize)
			if errors.Is(err, unix.EINVAL) {
				t.Skipf("no O_DIRECT on %s: %v", dir, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := tg.close(); err != nil {
					t.Error(err)
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Errorf("Close left %d files in %s", len(ents), dir)
				}
			})
			if tg.name != k.name {
				t.Errorf("Name %q, want %q", tg.name, k.name)
			}
			w, err := tg.newWorker()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			test(t, tg, w)
		})
	}
}

// stamped is a page stamp: (file, page, gen) in every 16-byte word, with no
// zero byte, so a byte of zero is never part of a stamp.
func stamped(file, page, gen int) []byte {
	p := make([]byte, pageSize)
	for i := 0; i < len(p); i += 16 {
		binary.LittleEndian.PutUint64(p[i:], 0x0101010101010101|uint64(file)<<8|uint64(page)<<24)
		binary.LittleEndian.PutUint64(p[i+8:], 0x0101010101010101|uint64(gen)<<16|uint64(i)<<32)
	}
	return p
}

func TestReadWriteFaultPaths(t *testing.T) {
	forEach(t, func(t *testing.T, tg target, w contract.Worker) {
		if tg.check() != nil {
			t.Fatalf("Check %v", tg.check())
		}
		for f := range nFiles {
			fi, err := os.Stat(tg.paths()[f])
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
		if err := w.Advise(0, 0, fileSize); err != nil {
			t.Fatal(err)
		}
		if err := tg.quiesce(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, pageSize)
		for f := range nFiles {
			for p := range nPages {
				want := stamped(f, p, 1)
				if n, err := w.Read(f, int64(p)*pageSize, buf); err != nil || n != pageSize || !bytes.Equal(buf, want) {
					t.Fatalf("Read f%d p%d: %d, %v, equal %v", f, p, n, err, bytes.Equal(buf, want))
				}
				clear(buf)
				if err := w.FaultRead(f, int64(p)*pageSize, buf); err != nil || !bytes.Equal(buf, want) {
					t.Fatalf("FaultRead f%d p%d: %v, equal %v", f, p, err, bytes.Equal(buf, want))
				}
			}
		}
		// A multi-page read, and a read past EOF returns a short count.
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
		if _, err := w.Read(nFiles, 0, buf); err == nil {
			t.Error("Read of a file out of range succeeded")
		}
		if err := w.FaultRead(0, 3, buf); err == nil {
			t.Error("FaultRead at an unaligned offset succeeded")
		}
	})
}

func TestPunchZeroTruncate(t *testing.T) {
	forEach(t, func(t *testing.T, tg target, w contract.Worker) {
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

		// Beyond EOF: faults return sigbus.ErrBeyondEOF and write nothing.
		if err := w.Truncate(0, 10*pageSize); err != nil {
			t.Fatal(err)
		}
		if err := w.FaultRead(0, 10*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
			t.Errorf("FaultRead beyond EOF: %v", err)
		}
		if err := w.FaultWrite(0, 12*pageSize, buf); !errors.Is(err, sigbus.ErrBeyondEOF) {
			t.Errorf("FaultWrite beyond EOF: %v", err)
		}
		if fi, _ := os.Stat(tg.paths()[0]); fi.Size() != 10*pageSize {
			t.Errorf("FaultWrite beyond EOF changed the size to %d", fi.Size())
		}
		if err := w.FaultRead(0, 9*pageSize, buf); err != nil || !bytes.Equal(buf, stamped(0, 9, 2)) {
			t.Errorf("FaultRead of the last page: %v", err)
		}
		// A page straddling EOF: its tail reads as zeros, as through a mapping.
		if err := w.Truncate(0, 9*pageSize+100); err != nil {
			t.Fatal(err)
		}
		if err := w.FaultRead(0, 9*pageSize, buf); err != nil || !bytes.Equal(buf[:100], stamped(0, 9, 2)[:100]) || !bytes.Equal(buf[100:], zero[100:]) {
			t.Errorf("FaultRead of the EOF page: %v", err)
		}
	})
}

func TestNoAllocs(t *testing.T) {
	forEach(t, func(t *testing.T, tg target, w contract.Worker) {
		buf := stamped(0, 1, 1)
		for name, op := range map[string]func(){
			"Read":       func() { w.Read(0, pageSize, buf) },
			"Write":      func() { w.Write(0, pageSize, buf) },
			"FaultRead":  func() { w.FaultRead(0, pageSize, buf) }, // the warm-up run maps the file
			"FaultWrite": func() { w.FaultWrite(0, pageSize, buf) },
			"Punch":      func() { w.Punch(0, 2*pageSize, pageSize) },
			"Advise":     func() { w.Advise(0, 0, pageSize) },
		} {
			if a := testing.AllocsPerRun(100, op); a != 0 {
				t.Errorf("%s: %v allocs per op", name, a)
			}
		}
	})
}

// TestConcurrentPunch runs two readers (one with Read, one with FaultRead)
// against a puncher that punches ranges and writes them back, for 200 ms:
// every byte read must be the written byte or zero.
func TestConcurrentPunch(t *testing.T) {
	forEach(t, func(t *testing.T, tg target, w0 contract.Worker) {
		var want [nPages][]byte
		for p := range want {
			want[p] = stamped(0, p, 1)
			w0.Write(0, int64(p)*pageSize, want[p])
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var reads, zeroPages, punches atomic.Int64
		// run calls step with a worker of its own until stop or an error.
		run := func(seed uint64, step func(w contract.Worker, r *rand.Rand) error) {
			defer wg.Done()
			w, err := tg.newWorker()
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			r := rand.New(rand.NewPCG(seed, 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := step(w, r); err != nil {
					t.Error(err)
					return
				}
			}
		}
		reader := func(fault bool) func(w contract.Worker, r *rand.Rand) error {
			buf := make([]byte, pageSize)
			return func(w contract.Worker, r *rand.Rand) (err error) {
				p := r.IntN(nPages)
				if fault {
					err = w.FaultRead(0, int64(p)*pageSize, buf)
				} else {
					_, err = w.Read(0, int64(p)*pageSize, buf)
				}
				if err != nil {
					return err
				}
				reads.Add(1)
				zeros := 0
				for i, b := range buf {
					if b == 0 {
						zeros++
					} else if b != want[p][i] {
						return fmt.Errorf("fault=%v page %d byte %d: %#x, want %#x or 0", fault, p, i, b, want[p][i])
					}
				}
				if zeros == pageSize {
					zeroPages.Add(1)
				}
				return nil
			}
		}
		// The puncher puts the data back after each punch, so the readers
		// keep meeting both.
		puncher := func(w contract.Worker, r *rand.Rand) error {
			p, n := r.IntN(nPages-4), 1+r.IntN(4)
			if err := w.Punch(0, int64(p)*pageSize, int64(n)*pageSize); err != nil {
				return err
			}
			punches.Add(1)
			for i := p; i < p+n; i++ {
				if _, err := w.Write(0, int64(i)*pageSize, want[i]); err != nil {
					return err
				}
			}
			return nil
		}
		wg.Add(3)
		go run(1, reader(false))
		go run(2, reader(true))
		go run(3, puncher)
		time.Sleep(200 * time.Millisecond)
		close(stop)
		wg.Wait()
		t.Logf("%d reads (%d all-zero pages), %d punches", reads.Load(), zeroPages.Load(), punches.Load())
		if reads.Load() == 0 || punches.Load() == 0 {
			t.Error("no reads or no punches")
		}
	})
}

func TestNewErrors(t *testing.T) {
	for _, k := range kinds() {
		if _, err := k.open(filepath.Join(t.TempDir(), "missing"), 1, pageSize); err == nil {
			t.Errorf("%s: New in a missing directory succeeded", k.name)
		}
		if _, err := k.open(t.TempDir(), 0, pageSize); err == nil {
			t.Errorf("%s: New with no files succeeded", k.name)
		}
		if _, err := k.open(t.TempDir(), 1, -1); err == nil {
			t.Errorf("%s: New with a negative size succeeded", k.name)
		}
	}
}
