package vfs_test

import (
	"errors"
	"fmt"
	"github.com/rwbench/rwbench/sigbus"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/vfs"
)

// The stress tests race page-cache filling against hole punching on file 0 of
// three files over a real O_DIRECT image, with the oracle checking every page
// read exactly as runner/worker.go does: Snapshot before, Check after for
// reads and faults; BeginWrite/EndWrite around writes and stores through a
// mapping; BeginZero/EndZero around punch, zero range and truncate down and up.
// A fourth file is the scratch file whose mapping is a reader's user buffer.

const (
	stressFiles   = 4
	stressPages   = 256 // 1 MiB per file
	stressScratch = 3   // the user-buffer file: no op works on it, its content is not checked
)

// stressConfig is one stress run.
type stressConfig struct {
	strategy   vfs.Strategy
	dur        time.Duration // run this long
	raceWindow time.Duration
	// faultOnly: file 0 is read only through faults (no read(2), readahead
	// from read(2), or advise on it), and written only through mappings.
	faultOnly bool
	// until, when set, ends the run early once it returns true (polled).
	until func(results.Verify) bool
	// everyOp, when set, extends the run past dur (up to four times dur)
	// until each of these ops has run: on a loaded machine the rare ones (a
	// truncate waits for every reader of the file) may not get a turn in dur.
	everyOp []string
}

// stressResult is what a run found.
type stressResult struct {
	verify     results.Verify
	violations []string
	ops        map[string]int64
	elapsed    time.Duration
}

// stressEnv is one filesystem under stress, with its oracle.
type stressEnv struct {
	fs *vfs.FS
	or *oracle.Oracle

	violMu     sync.Mutex
	violations []string

	stop  atomic.Bool
	errMu sync.Mutex
	errs  []error

	seenMu sync.Mutex
	seen   map[string]bool // the ops some worker has run
}

// ranAll reports whether each of ops has run.
func (e *stressEnv) ranAll(ops []string) bool {
	e.seenMu.Lock()
	defer e.seenMu.Unlock()
	for _, op := range ops {
		if !e.seen[op] {
			return false
		}
	}
	return true
}

func newStressEnv(t *testing.T, s vfs.Strategy, raceWindow time.Duration) *stressEnv {
	t.Helper()
	e := &stressEnv{seen: map[string]bool{}}
	blocks := int64(stressFiles*stressPages + 256)
	store, err := blockdev.CreateFile(blockdev.Options{
		Path:   filepath.Join(t.TempDir(), "image"),
		Size:   (blocks + 1) * ps,
		Direct: true,
	})
	if errors.Is(err, blockdev.ErrNoDirectIO) {
		t.Skip("no O_DIRECT where t.TempDir() is:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e.fs, err = vfs.New(store, s, stressFiles, stressPages*ps, vfs.Options{
		CacheBytes:       stressFiles * stressPages * ps / 2, // reclaim runs
		FaultAroundPages: 16,
		FlushInterval:    5 * time.Millisecond,
		RaceWindow:       raceWindow,
		Validate:         true,
		OnViolation: func(v string) {
			e.violMu.Lock()
			e.violations = append(e.violations, v)
			e.violMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.fs.Close() })
	e.or = oracle.New(stressFiles, stressPages, oracle.Full)
	return e
}

func (e *stressEnv) fail(err error) {
	e.errMu.Lock()
	e.errs = append(e.errs, err)
	e.errMu.Unlock()
	e.stop.Store(true)
}

// prefill writes every page of every file through the oracle, then drops the
// cache so the run starts cold.
func (e *stressEnv) prefill() {
	tk := e.fs.NewTask()
	defer tk.Close()
	w := newStressWorker(e, tk, 0)
	for f := range stressFiles {
		for p := int64(0); p < stressPages; p += 32 {
			w.write(f, p*ps, 32*ps)
		}
	}
	if err := e.fs.Quiesce(); err != nil {
		e.fail(err)
	}
}

// stressWorker is one goroutine's state: its task, checker and buffers, like
// the runner's worker.
type stressWorker struct {
	e      *stressEnv
	tk     *vfs.Task
	chk    *oracle.Checker
	rnd    *rand.Rand
	buf    []byte
	floors []int64
	gens   []uint64
	ops    map[string]int64
}

func newStressWorker(e *stressEnv, tk *vfs.Task, seed uint64) *stressWorker {
	const maxBS = 128 << 10
	return &stressWorker{e: e, tk: tk, chk: e.or.NewChecker(), rnd: rand.New(rand.NewPCG(seed, 42)),
		buf: blockdev.AlignedBuffer(maxBS), floors: make([]int64, maxBS/ps), gens: make([]uint64, maxBS/ps),
		ops: map[string]int64{}}
}

func (w *stressWorker) count(op string) {
	if w.ops[op] == 0 {
		w.e.seenMu.Lock()
		w.e.seen[op] = true
		w.e.seenMu.Unlock()
	}
	w.ops[op]++
}

// check reports an unexpected error. Only a fault or a store through a
// mapping past EOF (a truncate in flight) may fail: that is SIGBUS. A read(2)
// racing a truncate returns a short count.
func (w *stressWorker) check(what string, err error) {
	if err != nil {
		w.e.fail(fmt.Errorf("%s: %w", what, err))
	}
}

func (w *stressWorker) checkFault(what string, err error) {
	if !errors.Is(err, sigbus.ErrBeyondEOF) {
		w.check(what, err)
	}
}

func (w *stressWorker) read(file int, off, n int64) {
	first, np := uint64(off/ps), int(n/ps)
	w.e.or.Snapshot(file, first, w.floors[:np])
	buf := w.buf[:n]
	got, err := w.tk.Read(file, off, buf)
	w.check(fmt.Sprintf("read file %d at %d", file, off), err)
	for i := 0; i < np; i++ {
		page := buf[i*ps : (i+1)*ps]
		if i*ps >= got {
			clear(page) // past EOF during a truncate: zeros
		}
		w.chk.Check(oracle.OpRead, file, first+uint64(i), w.floors[i], page)
	}
	w.count("read")
}

// readMapped is read(2) into a buffer that is the task's mapping of the scratch
// file, so the copy-out faults; what landed in the buffer is checked.
func (w *stressWorker) readMapped(file int, off, n int64) {
	first, np := uint64(off/ps), int(n/ps)
	w.e.or.Snapshot(file, first, w.floors[:np])
	got, err := w.tk.ReadToMapping(file, off, int(n), stressScratch, 0)
	w.check(fmt.Sprintf("read file %d at %d into a mapping", file, off), err)
	buf := w.buf[:n]
	w.check("load the mapped buffer", w.tk.LoadMapped(stressScratch, 0, buf))
	for i := 0; i < np; i++ {
		page := buf[i*ps : (i+1)*ps]
		if i*ps >= got {
			clear(page) // past EOF during a truncate: zeros
		}
		w.chk.Check(oracle.OpRead, file, first+uint64(i), w.floors[i], page)
	}
	w.count("read mapped")
}

func (w *stressWorker) write(file int, off, n int64) {
	first, np := uint64(off/ps), int(n/ps)
	for i := 0; i < np; i++ {
		w.gens[i] = w.e.or.BeginWrite(file, first+uint64(i))
		oracle.Fill(w.buf[i*ps:(i+1)*ps], uint32(file+1), first+uint64(i), w.gens[i])
	}
	got, err := w.tk.Write(file, off, w.buf[:n])
	w.check(fmt.Sprintf("write file %d at %d", file, off), err)
	for i := 0; i < np; i++ {
		if i*ps < got {
			w.e.or.EndWrite(file, first+uint64(i), w.gens[i])
		} else {
			w.e.or.AbortWrite(file, first+uint64(i), w.gens[i])
		}
	}
	w.count("write")
}

func (w *stressWorker) fault(file int, off int64) {
	idx := uint64(off / ps)
	w.e.or.Snapshot(file, idx, w.floors[:1])
	page := w.buf[:ps]
	err := w.tk.FaultRead(file, off, page)
	w.checkFault(fmt.Sprintf("fault file %d at %d", file, off), err)
	if err == nil {
		w.chk.Check(oracle.OpFault, file, idx, w.floors[0], page)
	}
	w.count("fault")
}

func (w *stressWorker) mkwrite(file int, off int64) {
	idx := uint64(off / ps)
	gen := w.e.or.BeginWrite(file, idx)
	oracle.Fill(w.buf[:ps], uint32(file+1), idx, gen)
	err := w.tk.FaultWrite(file, off, w.buf[:ps])
	w.checkFault(fmt.Sprintf("mkwrite file %d at %d", file, off), err)
	if err == nil {
		w.e.or.EndWrite(file, idx, gen)
	} else {
		w.e.or.AbortWrite(file, idx, gen)
	}
	w.count("mkwrite")
}

func (w *stressWorker) zeroOp(op string, file int, off, n int64) {
	tok := w.e.or.BeginZero(file, uint64(off/ps), uint64(n/ps))
	var err error
	switch op {
	case "punch":
		err = w.tk.Punch(file, off, n)
	case "zero":
		err = w.tk.ZeroRange(file, off, n)
	case "truncate": // cut the last n bytes and grow back: the tail reads as zeros
		if err = w.tk.Truncate(file, stressPages*ps-n); err == nil {
			err = w.tk.Truncate(file, stressPages*ps)
		}
	}
	w.check(fmt.Sprintf("%s file %d at %d+%d", op, file, off, n), err)
	if err != nil {
		w.e.or.AbortZero(tok)
	} else {
		w.e.or.EndZero(tok)
	}
	w.count(op)
}

func (w *stressWorker) advise(file int, off, n int64) {
	w.check(fmt.Sprintf("advise file %d at %d", file, off), w.tk.Advise(file, off, n))
	w.count("advise")
}

// pageIn returns a random page offset such that n bytes from it stay in the file.
func (w *stressWorker) pageIn(n int64) int64 { return w.rnd.Int64N(stressPages-n/ps+1) * ps }

// pages returns a random length of lo..hi pages, in bytes.
func (w *stressWorker) pages(lo, hi int64) int64 { return (lo + w.rnd.Int64N(hi-lo+1)) * ps }

// runStress runs the threads of the race of docs/design.md section 1 on one filesystem and returns
// what the oracle and the lock validator saw. It does not judge.
func runStress(t *testing.T, c stressConfig) (*stressEnv, stressResult) {
	t.Helper()
	e := newStressEnv(t, c.strategy, c.raceWindow)
	e.prefill()
	bss := []int64{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10}
	type thread struct {
		name string
		op   func(w *stressWorker)
	}
	var threads []thread
	if !c.faultOnly {
		threads = append(threads,
			thread{"rand reader", func(w *stressWorker) {
				n := bss[w.rnd.IntN(len(bss))]
				w.read(0, w.pageIn(n), n)
			}},
			thread{"seq reader", func(w *stressWorker) {
				// a sequential pass at one block size, so readahead runs async windows
				n := bss[w.rnd.IntN(len(bss))]
				for off := int64(0); off+n <= stressPages*ps && !w.e.stop.Load(); off += n {
					w.read(0, off, n)
				}
			}},
			thread{"mapped reader", func(w *stressWorker) {
				n := bss[w.rnd.IntN(len(bss))]
				w.readMapped(0, w.pageIn(n), n)
			}},
			thread{"advise", func(w *stressWorker) {
				n := w.pages(1, 64)
				w.advise(0, w.pageIn(n), n)
				if w.rnd.IntN(4) == 0 { // and read what it brought in
					n = bss[w.rnd.IntN(len(bss))]
					w.read(0, w.pageIn(n), n)
				}
			}},
		)
	}
	threads = append(threads,
		thread{"faulter", func(w *stressWorker) { w.fault(0, w.pageIn(ps)) }},
		thread{"mkwriter", func(w *stressWorker) {
			if w.rnd.IntN(3) == 0 {
				w.mkwrite(0, w.pageIn(ps))
			} else {
				w.fault(0, w.pageIn(ps))
			}
		}},
		thread{"puncher", func(w *stressWorker) {
			n := w.pages(1, 32)
			w.zeroOp("punch", 0, w.pageIn(n), n)
		}},
		thread{"zero/truncate", func(w *stressWorker) {
			if w.rnd.IntN(2) == 0 {
				n := w.pages(1, 32)
				w.zeroOp("zero", 0, w.pageIn(n), n)
			} else {
				n := w.pages(1, 64)
				w.zeroOp("truncate", 0, stressPages*ps-n, n)
			}
		}},
		thread{"writer", func(w *stressWorker) {
			// fill holes in files 1-2 (and in file 0 when read(2) may race)
			// so that the blocks punch frees get reused; punch files 1-2 too.
			file := 1 + w.rnd.IntN(2)
			if !c.faultOnly && w.rnd.IntN(4) == 0 {
				file = 0
			}
			if file != 0 && w.rnd.IntN(4) == 0 {
				n := w.pages(4, 32)
				w.zeroOp("punch", file, w.pageIn(n), n)
				return
			}
			n := w.pages(1, 16)
			w.write(file, w.pageIn(n), n)
		}},
	)
	if c.faultOnly {
		threads = append(threads, thread{"faulter 2", func(w *stressWorker) { w.fault(0, w.pageIn(ps)) }})
	}

	start := time.Now()
	var wg sync.WaitGroup
	workers := make([]*stressWorker, len(threads))
	for i, th := range threads {
		w := newStressWorker(e, e.fs.NewTask(), uint64(i+1))
		workers[i] = w
		wg.Go(func() {
			defer func() {
				if err := w.tk.Close(); err != nil {
					e.fail(fmt.Errorf("%s: %w", th.name, err))
				}
			}()
			for !e.stop.Load() {
				th.op(w)
			}
		})
	}
	for !e.stop.Load() {
		if d := time.Since(start); d >= 4*c.dur || d >= c.dur && e.ranAll(c.everyOp) {
			break
		}
		time.Sleep(20 * time.Millisecond)
		if c.until != nil && c.until(e.or.Verify()) {
			break
		}
	}
	e.stop.Store(true)
	wg.Wait()
	t.Logf("dirty pauses: %+v", e.fs.DirtyPauses().Since(vfs.DirtyPauses{}))
	r := stressResult{verify: e.or.Verify(), elapsed: time.Since(start), ops: map[string]int64{}}
	for _, w := range workers {
		for k, v := range w.ops {
			r.ops[k] += v
		}
	}
	e.violMu.Lock()
	r.violations = append([]string(nil), e.violations...)
	e.violMu.Unlock()
	e.errMu.Lock()
	for _, err := range e.errs {
		t.Error(err)
	}
	e.errMu.Unlock()
	return e, r
}

// finalCheck drops the cache, runs fsck and checks every page of every file as
// read back from the store against the oracle's final state.
func (e *stressEnv) finalCheck(t *testing.T) {
	t.Helper()
	if err := e.fs.Quiesce(); err != nil {
		t.Fatal(err)
	}
	if errs := e.fs.Check(); len(errs) > 0 {
		t.Errorf("fsck: %d problems, first: %v", len(errs), errs[:min(len(errs), 5)])
	}
	tk := e.fs.NewTask()
	defer tk.Close()
	buf := blockdev.AlignedBuffer(stressPages * ps)
	bad := 0
	for f := range stressFiles {
		if sz := e.fs.Size(f); sz != stressPages*ps {
			t.Errorf("file %d has size %d, want %d", f, sz, stressPages*ps)
		}
		n, err := tk.Read(f, 0, buf)
		if err != nil || n != len(buf) {
			t.Fatalf("final read of file %d: %d, %v", f, n, err)
		}
		for p := range stressPages {
			if f == stressScratch {
				break // holds what the mapped reader read
			}
			if err := e.or.CheckFinal(f, uint64(p), buf[p*ps:(p+1)*ps]); err != nil {
				if bad++; bad <= 5 {
					t.Error("final:", err)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pages fail the final check", bad)
	}
}

func stressDur(long time.Duration) time.Duration {
	if testing.Short() {
		return long / 3
	}
	return long
}

// checkNothingWrong fails the test on any stale, foreign, torn or corrupt
// page: the model publishes pages whole, so even a torn read is its bug.
func checkNothingWrong(t *testing.T, v results.Verify) {
	t.Helper()
	if v.Wrong() > 0 {
		t.Errorf("stale %d, foreign %d, torn %d, corrupt %d; by op %v; examples:\n%s",
			v.Stale, v.Foreign, v.Torn, v.Corrupt, v.ByOp, v.Examples)
	}
}

func checkNoViolations(t *testing.T, r stressResult) {
	t.Helper()
	if len(r.violations) > 0 {
		t.Errorf("%d lock-order violations, first:\n%s", len(r.violations), r.violations[0])
	}
}
