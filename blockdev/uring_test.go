package blockdev

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ringQueue makes a direct file store of blocks blocks and a queue of depth
// over it, which must have a ring: this machine's kernel gives one, and CI's
// is the same kind. A kernel that refuses (kernel.io_uring_disabled, seccomp)
// skips, saying why; the goroutine path is what the memory tests run then.
func ringQueue(t *testing.T, blocks uint64, depth int) (*Queue, Store) {
	t.Helper()
	s, err := CreateFile(Options{Path: filepath.Join(t.TempDir(), "img"), Size: int64(blocks+1) * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	q := NewQueue(s, depth)
	t.Cleanup(func() {
		q.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if q.ring == nil {
		if errors.Is(q.ringErr, unix.ENOSYS) || errors.Is(q.ringErr, unix.EPERM) {
			t.Skipf("no io_uring here: %v", q.ringErr)
		}
		t.Fatalf("no ring on a direct file store: %v", q.ringErr)
	}
	return q, s
}

// blockOf returns an aligned buffer of n blocks, each filled with its block
// number and a seed.
func blockOf(blk uint64, n int, seed byte) [][]byte {
	arena := AlignedBuffer(n * BlockSize)
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = arena[i*BlockSize : (i+1)*BlockSize : (i+1)*BlockSize]
		for k := range bufs[i] {
			bufs[i][k] = byte(blk+uint64(i)) ^ seed ^ byte(k)
		}
	}
	return bufs
}

// TestRingRoundTrip writes runs of blocks from many goroutines at once
// through the ring, then reads every block back through it and through the
// store, and compares.
func TestRingRoundTrip(t *testing.T) {
	const blocks, depth = 512, 16
	q, s := ringQueue(t, blocks, depth)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for k := range 8 {
				blk := uint64(1 + (g*8+k)*8) // runs of up to 8 blocks, disjoint
				n := 1 + (g+k)%8
				q.Submit(true, blk, blockOf(blk, n, 0x5a), func(err error) {
					if err != nil {
						failed.Add(1)
						t.Error(err)
					}
				})
			}
		})
	}
	wg.Wait()
	q.Drain()
	if failed.Load() > 0 {
		t.FailNow()
	}
	for g := range 8 {
		for k := range 8 {
			blk := uint64(1 + (g*8+k)*8)
			n := 1 + (g+k)%8
			want := blockOf(blk, n, 0x5a)
			got := blockOf(blk, n, 0) // overwritten by the read
			if err := q.Read(blk, got); err != nil {
				t.Fatal(err)
			}
			direct := blockOf(blk, n, 0)
			if err := s.ReadBlocks(blk, direct); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) || !bytes.Equal(direct[i], want[i]) {
					t.Fatalf("block %d: read back differs from what was written", blk+uint64(i))
				}
			}
		}
	}
}

// TestRingErrors: an I/O the store refuses completes with its error, through
// done, and takes nothing from the queue.
func TestRingErrors(t *testing.T) {
	q, s := ringQueue(t, 16, 4)
	for _, tc := range []struct {
		name string
		blk  uint64
		bufs [][]byte
		want error
	}{
		{"past the end", s.NumBlocks(), blockOf(s.NumBlocks(), 2, 0), ErrRange},
		{"the superblock", 0, blockOf(0, 1, 0), ErrRange},
		{"unaligned", 1, [][]byte{AlignedBuffer(2 * BlockSize)[1 : 1+BlockSize]}, ErrUnaligned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := q.Write(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
				t.Errorf("Write: %v, want %v", err, tc.want)
			}
			if err := q.Read(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
				t.Errorf("Read: %v, want %v", err, tc.want)
			}
		})
	}
	if n := len(q.tags); n != 0 {
		t.Errorf("%d tags still taken", n)
	}
	if n := len(q.ring.free); n != 4 {
		t.Errorf("%d of 4 ring slots free", n)
	}
}

// TestPlug: plugged I/O is not issued until the plug is finished, and a plug
// that holds more I/Os than the queue has tags issues them itself rather than
// wait for tags its own I/Os hold.
func TestPlug(t *testing.T) {
	t.Run("held until finished", func(t *testing.T) {
		q, _ := ringQueue(t, 64, 16)
		var done atomic.Int64
		plug := q.Plug()
		for i := range 8 {
			plug.Submit(true, uint64(1+i), blockOf(uint64(1+i), 1, 1), func(err error) {
				if err != nil {
					t.Error(err)
				}
				done.Add(1)
			})
		}
		q.ring.reap()
		if n := done.Load(); n != 0 {
			t.Fatalf("%d plugged I/Os completed before the plug was finished", n)
		}
		if q.ring.queued != 8 {
			t.Fatalf("%d I/Os queued in the ring, want 8", q.ring.queued)
		}
		plug.Finish()
		q.Drain()
		if n := done.Load(); n != 8 {
			t.Fatalf("%d of 8 plugged I/Os completed", n)
		}
	})
	t.Run("more than the depth", func(t *testing.T) {
		q, _ := ringQueue(t, 256, 4)
		var done atomic.Int64
		plug := q.Plug()
		for i := range 3 * plugMax {
			plug.Submit(i%2 == 0, uint64(1+i), blockOf(uint64(1+i), 1, 2), func(err error) {
				if err != nil {
					t.Error(err)
				}
				done.Add(1)
			})
		}
		plug.Finish()
		q.Drain()
		if n := done.Load(); n != 3*plugMax {
			t.Fatalf("%d of %d I/Os completed", n, 3*plugMax)
		}
	})
}

// TestRingIOVMax: an I/O of more buffers than one entry carries goes the
// synchronous way, whole.
func TestRingIOVMax(t *testing.T) {
	q, _ := ringQueue(t, 2048, 8)
	const n = maxIovecs + 100
	want := blockOf(1, n, 7)
	if err := q.Write(1, want); err != nil {
		t.Fatal(err)
	}
	got := blockOf(1, n, 0)
	if err := q.Read(1, got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("block %d differs", 1+i)
		}
	}
}

func TestAdvanceIovec(t *testing.T) {
	bufs := [][]byte{make([]byte, 8), make([]byte, 8), make([]byte, 8)}
	mk := func() []unix.Iovec {
		iov := make([]unix.Iovec, len(bufs))
		for i, b := range bufs {
			iov[i].Base = &b[0]
			iov[i].SetLen(len(b))
		}
		return iov
	}
	for _, tc := range []struct {
		n       int
		left    int   // iovecs left
		first   *byte // where the first starts
		firstSz int
	}{
		{0, 3, &bufs[0][0], 8},
		{8, 2, &bufs[1][0], 8},
		{11, 2, &bufs[1][3], 5},
		{23, 1, &bufs[2][7], 1},
		{24, 0, nil, 0},
	} {
		iov := advanceIovec(mk(), tc.n)
		if len(iov) != tc.left || iovLen(iov) != 24-tc.n {
			t.Errorf("advance %d: %d iovecs of %d bytes, want %d of %d", tc.n, len(iov), iovLen(iov), tc.left, 24-tc.n)
			continue
		}
		if tc.left > 0 && (iov[0].Base != tc.first || int(iov[0].Len) != tc.firstSz) {
			t.Errorf("advance %d: first iovec at %p (%d bytes), want %p (%d)", tc.n, iov[0].Base, iov[0].Len, tc.first, tc.firstSz)
		}
	}
}

// TestRingLayout pins the kernel's structure sizes.
func TestRingLayout(t *testing.T) {
	if n := unsafe.Sizeof(uringParams{}); n != 120 {
		t.Errorf("io_uring_params is %d bytes, want 120", n)
	}
	if n := unsafe.Sizeof(uringSQE{}); n != uringSQESize {
		t.Errorf("io_uring_sqe is %d bytes, want %d", n, uringSQESize)
	}
	if n := unsafe.Sizeof(uringCQE{}); n != uringCQESize {
		t.Errorf("io_uring_cqe is %d bytes, want %d", n, uringCQESize)
	}
}

// TestRingStress submits reads and writes at random from many goroutines
// with a small depth, so submitters wait for tags and completions are reaped
// by submitters, Interrupt and the reaper at once; every I/O completes once.
func TestRingStress(t *testing.T) {
	q, _ := ringQueue(t, 1024, 8)
	var wg sync.WaitGroup
	var submitted, completed atomic.Int64
	for g := range 6 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			plug := q.Plug()
			for i := range 300 {
				blk := 1 + uint64(r.IntN(1000))
				n := 1 + r.IntN(4)
				submitted.Add(1)
				done := func(err error) {
					if err != nil {
						t.Error(err)
					}
					completed.Add(1)
				}
				switch i % 3 {
				case 0:
					q.Submit(r.IntN(2) == 0, blk, blockOf(blk, n, byte(g)), done)
				case 1:
					plug.Submit(true, blk, blockOf(blk, n, byte(g)), done)
				default:
					q.Interrupt()
					done(q.Read(blk, blockOf(blk, n, 0)))
				}
			}
			plug.Finish()
		})
	}
	wg.Wait()
	q.Drain()
	if s, c := submitted.Load(), completed.Load(); s != c {
		t.Fatalf("%d I/Os submitted, %d completed", s, c)
	}
}

// TestRingFallback: where the kernel refuses a ring (here, for a depth past
// IORING_MAX_ENTRIES), the queue says why and does its I/O with goroutines.
func TestRingFallback(t *testing.T) {
	s, err := CreateFile(Options{Path: filepath.Join(t.TempDir(), "img"), Size: 64 * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := NewQueue(s, 1<<16)
	defer q.Close()
	if q.ring != nil || q.Fallback() == nil {
		t.Fatalf("a ring of %d entries was set up (fallback %v)", 1<<16, q.Fallback())
	}
	want := blockOf(3, 2, 9)
	if err := q.Write(3, want); err != nil {
		t.Fatal(err)
	}
	got := blockOf(3, 2, 0)
	if err := q.Read(3, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[1], want[1]) {
		t.Fatal("read back differs")
	}
	if m := NewQueue(NewMemory(8, 0), 4); m.Fallback() != nil {
		t.Errorf("memory store: fallback %v", m.Fallback())
	}
}
