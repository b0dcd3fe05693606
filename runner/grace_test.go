package runner

import (
	"encoding/binary"
	"hash/crc32"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwbench/rwbench/oracle"
)

func TestWorkerReadersMark(t *testing.T) {
	type step struct {
		inOp, done int64 // the worker's counters after Mark
		want       bool
	}
	for _, c := range []struct {
		name       string
		inOp, done int64 // at Mark
		steps      []step
	}{
		{"idle at Mark", 0, 5, []step{{1, 5, true}}},
		{"same op still in flight", 1, 5, []step{{1, 5, false}, {1, 5, false}}},
		{"op ended, idle", 1, 5, []step{{1, 5, false}, {0, 5, true}}},
		{"op ended, the next one in flight", 7, 5, []step{{9, 6, true}}},
		{"inOpUnclocked op ends", inOpUnclocked, 0, []step{{inOpUnclocked, 0, false}, {inOpUnclocked, 1, true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, idle := &worker{}, &worker{}
			w.inOp.Store(c.inOp)
			w.done.Store(c.done)
			passed := workerReaders{idle, w}.Mark()
			for i, s := range c.steps {
				w.inOp.Store(s.inOp)
				w.done.Store(s.done)
				if got := passed(); got != s.want {
					t.Fatalf("step %d (inOp %d, done %d): passed = %v, want %v", i, s.inOp, s.done, got, s.want)
				}
			}
			if c.steps[len(c.steps)-1].want && !passed() {
				t.Fatal("passed went back to false")
			}
		})
	}
	if !(workerReaders{}).Mark()() {
		t.Fatal("no workers: not passed")
	}
}

// TestRetiringWithWorkers runs the oracle's retirement over workerReaders
// while a writer overwrites a few pages and readers, one stalling, read them
// as the workers do (inOp around Snapshot and Check, then done): no finding,
// and the oracle's table stays small however many writes there are.
func TestRetiringWithWorkers(t *testing.T) {
	const pages = 16
	or := oracle.New(1, pages, oracle.Header)
	var mu sync.Mutex // guards store
	store := make([][]byte, pages)
	for i := range store {
		store[i] = make([]byte, oracle.PageSize)
	}
	readers := workerReaders{&worker{}, &worker{}}
	stop := or.StartRetiring(readers)
	defer stop()

	// Write 12 chunks' worth (at most 10 s), at up to ~200k writes/s, a rate a
	// busy retirer sharing two CPUs with the writer and readers keeps up with.
	const want = 12 * 4096
	var writes atomic.Int64
	var running atomic.Bool
	running.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer running.Store(false)
		buf := make([]byte, oracle.PageSize)
		for i := uint64(0); writes.Load() < want && time.Now().Before(deadline); i++ {
			p := i * 7 % pages
			g := or.BeginWrite(0, p)
			stampHeader(buf, 1, p, g)
			mu.Lock()
			copy(store[p], buf)
			mu.Unlock()
			or.EndWrite(0, p, g)
			if writes.Add(1)%256 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for n, w := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chk := or.NewChecker()
			page := make([]byte, oracle.PageSize)
			var floor [1]int64
			for i := uint64(0); running.Load(); i++ {
				p := (i*5 + uint64(n)) % pages
				w.inOp.Store(inOpUnclocked)
				or.Snapshot(0, p, floor[:])
				mu.Lock()
				copy(page, store[p])
				mu.Unlock()
				if i%64 == 0 && n == 0 {
					time.Sleep(5 * time.Millisecond) // hold on to a value while it dies
				}
				if f := chk.Check(oracle.OpRead, 0, p, floor[0], page); f != oracle.OK {
					t.Errorf("read of page %d: %v", p, f)
				}
				w.inOp.Store(0)
				w.done.Add(1)
				if i%64 == 32 {
					time.Sleep(time.Millisecond) // leave the writer some CPU
				}
			}
		}()
	}
	peak := 0
	for running.Load() {
		peak = max(peak, or.Entries())
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	// Once the writes stop, a round retires every full chunk: the partial one
	// is left.
	for n := or.Entries(); n > 4096; n = or.Entries() {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("%d entries held long after the writes stopped", n)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	if v := or.Verify(); v.Wrong() != 0 || v.Checked == 0 {
		t.Fatalf("verify %+v", v)
	}
	if w := writes.Load(); peak > 4*4096 || w < want {
		t.Fatalf("up to %d entries held during %d writes: want at most 4 chunks during %d", peak, w, want)
	} else {
		t.Logf("up to %d entries held during %d writes", peak, w)
	}
	for p := range store {
		s, _ := oracle.Decode(store[p])
		oracle.Fill(store[p], s.Ino, s.Idx, s.Gen) // CheckFinal looks at the payload too
		if err := or.CheckFinal(0, uint64(p), store[p]); err != nil {
			t.Error(err)
		}
	}
}

// stampHeader writes the header oracle.Fill writes, not the payload (slow
// under the race detector, and a Header check does not look at it).
func stampHeader(page []byte, ino uint32, idx, gen uint64) {
	binary.LittleEndian.PutUint32(page[0:], oracle.Magic)
	binary.LittleEndian.PutUint32(page[4:], ino)
	binary.LittleEndian.PutUint64(page[8:], idx)
	binary.LittleEndian.PutUint64(page[16:], gen)
	binary.LittleEndian.PutUint32(page[24:], crc32.Checksum(page[:24], crc32.MakeTable(crc32.Castagnoli)))
	binary.LittleEndian.PutUint32(page[28:], 0)
}

// TestRunTargetRetires runs a write-heavy cell through runTarget, with the
// oracle retiring while the workers run and stopped before the fsck: a clean
// run.
func TestRunTargetRetires(t *testing.T) {
	c := testConfig(t, `name: retire
backend: {kind: memory, size: 4MiB}
cache: {size: 512KiB}
files: {count: 1, size: 64KiB}
strategies: [none]
duration: 1s
warmup: 0s
interval: 100ms
verify: header
jobs:
  - {op: read, threads: 1}
  - {op: write, threads: 1}
  - {op: punch, threads: 1, length: 8KiB, rate: 200}
`)
	run, err := runFake(t.Context(), c, newFakeTarget(c, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !run.Fsck.Ok || run.Verify.Checked == 0 || run.Verify.Wrong() != 0 {
		t.Fatalf("fsck %+v, verify %+v: want a clean, checked run", run.Fsck, run.Verify)
	}
	if w := run.Ops["write"].Count; w < 3*4096 {
		t.Logf("only %d writes: the oracle may not have retired anything", w)
	}
}
