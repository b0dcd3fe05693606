package vfs

import (
	"bytes"
	"sync"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
)

func bufferFS(t *testing.T, cachePages int64) *FS {
	t.Helper()
	fs, err := New(blockdev.NewMemory(512, 0), NewTableStrategy("none", "", Table{}), 1, 256*PageSize,
		Options{CacheBytes: cachePages * PageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// TestGracePeriod: a batch of retired buffers is not reused while a task that
// was in an operation when it was sealed is still in it; offline tasks do not
// hold it back.
func TestGracePeriod(t *testing.T) {
	tests := []struct {
		name      string
		reader    func(r *Task) // what the other task does before the batch is sealed
		heldBack  bool
		afterward func(r *Task) // and then
	}{
		{"reader in an operation holds it back", func(r *Task) { r.opStart() }, true, func(r *Task) { r.opDone() }},
		{"a new task is offline", func(r *Task) {}, false, nil},
		{"a task between operations that said so", func(r *Task) { r.opStart(); r.opDone(); r.offline() }, false, nil},
		{"a closed task", func(r *Task) { r.opStart(); r.Close() }, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := bufferFS(t, 1024)
			w, r := fs.NewTask(), fs.NewTask()
			defer w.Close()
			tc.reader(r)
			w.opStart()
			retired := map[*[PageSize]byte]bool{}
			for _, b := range fs.buffers.take(nil) { // a slab: the pool's buffers
				retired[b] = true
				w.retire(b)
			}
			w.opDone()
			// take hands out the retired batch once it passed, else a new slab.
			if got := !retired[fs.buffers.take(nil)[0]]; got != tc.heldBack {
				t.Fatalf("held back = %v, want %v", got, tc.heldBack)
			}
			if tc.afterward != nil {
				tc.afterward(r)
				if !retired[fs.buffers.take(nil)[0]] {
					t.Fatal("still held back after the reader's operation ended")
				}
			}
		})
	}
}

// TestBuffersRecycled: a writer rewriting pages and readers reading them, on a
// cache smaller than the file, reuse retired buffers, and every read returns
// what was last written (the race detector watches the reuse).
func TestBuffersRecycled(t *testing.T) {
	fs := bufferFS(t, 64)
	const pages, rounds, reads = 256, 16, 4000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer owns the pages' contents: byte i of page p is round
		defer wg.Done()
		tk := fs.NewTask()
		defer tk.Close()
		buf := make([]byte, PageSize)
		for round := 1; round <= rounds; round++ {
			for p := range pages {
				for i := range buf {
					buf[i] = byte(round)
				}
				if _, err := tk.Write(0, int64(p)*PageSize, buf); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := fs.NewTask()
			defer tk.Close()
			buf := make([]byte, PageSize)
			for i := range reads {
				p := int64(i*37) % pages
				if _, err := tk.Read(0, p*PageSize, buf); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(buf, bytes.Repeat(buf[:1], PageSize)) {
					t.Errorf("page %d is torn or foreign: starts %d, has %d", p, buf[0], buf[PageSize-1])
					return
				}
			}
		}()
	}
	wg.Wait()
	// Without reuse every page written and every read miss through the 64-page
	// cache would take a buffer. With it the pool grows while grace periods
	// wait (a task preempted in an operation stalls them: three tasks share
	// two CPUs here) and then stays.
	demand := pages*rounds + 2*reads
	if n := fs.PoolStats().Slabs * retireBatch; n > demand/3 {
		t.Fatalf("%d buffers allocated for %d pages written or read", n, demand)
	}
	t.Logf("%+v, %d sealed, %d free", fs.PoolStats(), len(fs.buffers.sealed), len(fs.buffers.free))
}

// TestPoolBounded: while a task stalls grace periods, a writer that retires a
// buffer per page gets no slab past the pool's bound: it waits for the grace
// period, then takes loose buffers, which the collector frees. Once the task
// moves on, retired buffers are reused and no loose ones are made. Every page
// reads back what was written last.
func TestPoolBounded(t *testing.T) {
	fs := bufferFS(t, 64)
	stuck, w := fs.NewTask(), fs.NewTask()
	defer stuck.Close()
	defer w.Close()
	const pages = 256
	buf := make([]byte, PageSize)
	write := func(round byte) {
		t.Helper()
		for p := range pages {
			buf[0], buf[PageSize-1] = round, byte(p)
			if _, err := w.Write(0, int64(p)*PageSize, buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	bound := func() int {
		fs.buffers.mu.Lock()
		defer fs.buffers.mu.Unlock()
		return fs.buffers.bound + 2*len(fs.buffers.tasks)
	}
	stuck.opStart() // in an operation until opDone: no grace period passes
	for round := range byte(4) {
		write(round)
	}
	st := fs.PoolStats()
	if st.Slabs > bound() {
		t.Fatalf("%d slabs past the bound of %d while grace periods stalled", st.Slabs, bound())
	}
	if st.Loose == 0 || st.Throttled == 0 {
		t.Fatalf("stats %+v: want throttled takes and loose buffers while grace periods stalled", st)
	}
	stuck.opDone()
	stuck.Idle() // and stays between operations
	for round := range byte(4) {
		write(4 + round)
	}
	if st2 := fs.PoolStats(); st2.Loose != st.Loose || st2.Slabs > bound() {
		t.Fatalf("after the stall: stats %+v, before %+v: want no more loose buffers, at most %d slabs", st2, st, bound())
	}
	r := fs.NewTask()
	defer r.Close()
	for p := range pages {
		if _, err := r.Read(0, int64(p)*PageSize, buf); err != nil {
			t.Fatal(err)
		}
		if buf[0] != 7 || buf[PageSize-1] != byte(p) {
			t.Fatalf("page %d: round %d page %d, want round 7", p, buf[0], buf[PageSize-1])
		}
	}
}

// TestWaitsOnOthers (heldUp): a task at the pool's bound waits for a batch only if some
// other task holds it back; a batch held back by the taker alone would never
// pass while it waits.
func TestWaitsOnOthers(t *testing.T) {
	var self, other qsState
	self.state.Store(4)  // in an operation
	other.state.Store(6) // in an operation
	var idle qsState
	idle.state.Store(8 | qsOffline)
	tests := []struct {
		name  string
		tasks []*qsState
		after func() // what happens between the seal and the check
		want  bool
	}{
		{"only the taker", []*qsState{&self}, nil, false},
		{"the taker and another in its operation", []*qsState{&self, &other}, nil, true},
		{"another that was offline", []*qsState{&self, &idle}, nil, false},
		{"another that ended its operation since", []*qsState{&self, &other}, func() { other.state.Add(2) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &sealedBatch{tasks: tc.tasks}
			for _, q := range tc.tasks {
				b.states = append(b.states, q.state.Load())
			}
			if tc.after != nil {
				tc.after()
			}
			if got := b.heldUp(&self); got != tc.want {
				t.Errorf("heldUp(self) = %v, want %v", got, tc.want)
			}
		})
	}
}
