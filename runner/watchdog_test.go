package runner

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// stallConfig has one paced read job of two threads on one small file.
const stallConfig = `name: stall
backend: {kind: memory, size: 4MiB}
cache: {size: 512KiB}
files: {count: 1, size: 256KiB}
strategies: [none]
duration: 5s
warmup: 0s
interval: 1s
jobs:
  - {op: read, threads: 2, rate: 100}
`

// syncBuffer is a bytes.Buffer safe for the watchdog's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestWatchdogStall runs a cell whose reads block forever after the first few:
// the watchdog must stop the run with ErrStalled about Watchdog after the last
// completed op, long before the 5 s window ends, and dump the stuck workers.
func TestWatchdogStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := testConfig(t, stallConfig)
		tg := newFakeTarget(c, 5)
		var log syncBuffer
		start := time.Now()
		run, err := runFake(t.Context(), c, tg, Options{Watchdog: 500 * time.Millisecond, Log: &log})
		elapsed := time.Since(start)
		close(tg.release) // let the stuck workers go, so the bubble can end

		if !errors.Is(err, ErrStalled) {
			t.Fatalf("err = %v, want ErrStalled", err)
		}
		if run != nil {
			t.Errorf("a stalled run returned a run: %+v", run)
		}
		// The last op completed at about 20 ms; the watchdog ticks every 125 ms.
		if elapsed < 500*time.Millisecond || elapsed > time.Second {
			t.Errorf("stall detected after %v, want between 500ms and 1s", elapsed)
		}
		dump := log.String()
		for _, want := range []string{
			"rwbench: watchdog: no operation completed for",
			"worker 0 (jobs[0] read): in read for",
			"worker 1 (jobs[0] read): in read for",
			"holds: fake_lock(shared)",
			"goroutine ", // the stacks
		} {
			if !strings.Contains(dump, want) {
				t.Errorf("dump does not contain %q:\n%.2000s", want, dump)
			}
		}
		if got := tg.reads.Load(); got != 7 { // 5 completed, one stuck in each worker
			t.Errorf("%d reads issued, want 7", got)
		}
	})
}

// TestWatch drives watch with hand-made workers: only a worker stuck inside an
// op with no op completing anywhere is a stall.
func TestWatch(t *testing.T) {
	const wd = time.Second
	for _, tc := range []struct {
		name  string
		busy  bool // a worker is inside an op throughout
		tick  bool // ops keep completing
		stall bool
	}{
		{"stuck in an op", true, false, true},
		{"idle between ops", false, false, false},
		{"busy and progressing", true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := &worker{job: 0, op: "write"}
				if tc.busy {
					w.inOp.Store(time.Now().UnixNano())
				}
				done := make(chan struct{})
				stop := make(chan struct{})
				if tc.tick {
					go func() {
						tk := time.NewTicker(50 * time.Millisecond)
						defer tk.Stop()
						for {
							select {
							case <-tk.C:
								w.done.Add(1)
								w.inOp.Store(time.Now().UnixNano()) // the next op began
							case <-stop:
								return
							}
						}
					}()
				}
				var log syncBuffer
				type result struct {
					err error
					at  time.Duration
				}
				res := make(chan result, 1)
				start := time.Now()
				go func() {
					err := watch(done, []*worker{w}, Options{Watchdog: wd, Log: &log})
					res <- result{err, time.Since(start)}
				}()
				time.Sleep(10 * wd)
				close(stop)
				close(done)
				r := <-res
				if !tc.stall {
					if r.err != nil {
						t.Fatalf("watch = %v after %v, want nil (no stall)", r.err, r.at)
					}
					if r.at < 10*wd {
						t.Errorf("watch returned after %v, before the workers were done", r.at)
					}
					return
				}
				if !errors.Is(r.err, ErrStalled) {
					t.Fatalf("watch = %v, want ErrStalled", r.err)
				}
				if r.at < wd || r.at > wd+wd/2 {
					t.Errorf("stall reported after %v, want within [%v, %v]", r.at, wd, wd+wd/2)
				}
				if !strings.Contains(log.String(), "worker 0 (jobs[0] write): in write for") {
					t.Errorf("dump does not name the stuck worker:\n%.1000s", log.String())
				}
			})
		})
	}
}

// TestWatchDoneFirst: workers that finish end the watch at once, without a dump.
func TestWatchDoneFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		close(done)
		start := time.Now()
		if err := watch(done, nil, Options{Watchdog: time.Second, Log: io.Discard}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("watch took %v", d)
		}
	})
}
