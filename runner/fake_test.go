package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
)

// fakeTarget is an in-memory Target that keeps what is written, so the
// oracle's checks and the after-run fsck pass on it. Once blockAfter reads have
// been issued (blockAfter > 0), every further Read blocks until release is
// closed: a stuck operation for the watchdog.
type fakeTarget struct {
	mu    sync.Mutex // guards files
	files [][]byte

	blockAfter int64
	reads      atomic.Int64
	release    chan struct{}

	workers atomic.Int64
	closed  atomic.Int64 // workers closed
	idles   atomic.Int64 // Idle calls: paced waits
}

func newFakeTarget(c *config.Config, blockAfter int64) *fakeTarget {
	t := &fakeTarget{blockAfter: blockAfter, release: make(chan struct{})}
	for range c.Files.Count {
		t.files = append(t.files, make([]byte, c.Files.Size))
	}
	return t
}

func (t *fakeTarget) Name() string { return "fake" }
func (t *fakeTarget) NewWorker() (target.Worker, error) {
	t.workers.Add(1)
	return &fakeWorker{t: t}, nil
}
func (t *fakeTarget) Quiesce() error  { return nil }
func (t *fakeTarget) Check() []string { return nil }
func (t *fakeTarget) Close() error    { return nil }

type fakeWorker struct{ t *fakeTarget }

// Held names the locks the worker holds, as the model's Task does.
func (w *fakeWorker) Held() string { return "fake_lock(shared)" }

func (w *fakeWorker) copyOut(file int, off int64, buf []byte) int {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	f := w.t.files[file]
	if off >= int64(len(f)) {
		return 0
	}
	return copy(buf, f[off:])
}

func (w *fakeWorker) copyIn(file int, off int64, data []byte) int {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	f := w.t.files[file]
	if off >= int64(len(f)) {
		return 0
	}
	return copy(f[off:], data)
}

func (w *fakeWorker) zero(file int, off, length int64) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	f := w.t.files[file]
	end := min(off+length, int64(len(f)))
	if off < end {
		clear(f[off:end])
	}
}

func (w *fakeWorker) Read(file int, off int64, buf []byte) (int, error) {
	if n := w.t.reads.Add(1); w.t.blockAfter > 0 && n > w.t.blockAfter {
		<-w.t.release
	}
	return w.copyOut(file, off, buf), nil
}

func (w *fakeWorker) Write(file int, off int64, data []byte) (int, error) {
	return w.copyIn(file, off, data), nil
}

func (w *fakeWorker) FaultRead(file int, off int64, buf []byte) error {
	w.copyOut(file, off, buf)
	return nil
}

func (w *fakeWorker) FaultWrite(file int, off int64, data []byte) error {
	w.copyIn(file, off, data)
	return nil
}

func (w *fakeWorker) Punch(file int, off, length int64) error {
	w.zero(file, off, length)
	return nil
}

func (w *fakeWorker) ZeroRange(file int, off, length int64) error {
	w.zero(file, off, length)
	return nil
}

func (w *fakeWorker) Truncate(file int, size int64) error {
	w.zero(file, size, 1<<62)
	return nil
}

func (w *fakeWorker) Advise(file int, off, length int64) error { return nil }

// Idle counts the waits of paced workers, as the model's Task lets its grace
// periods pass.
func (w *fakeWorker) Idle() { w.t.idles.Add(1) }

func (w *fakeWorker) Close() error {
	w.t.closed.Add(1)
	return nil
}

// testConfig parses yaml, fills defaults and validates it as `rwbench run` does.
func testConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(Known()); err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeCell is the cell the runner would make for c's first strategy.
func fakeCell(c *config.Config) *cell {
	return &cell{cfg: c, strategy: c.Strategies[0], res: &results.Cell{Strategy: c.Strategies[0], Target: "model"}}
}

// runFake runs one repetition of c on tg, as runOnce does after making a
// target. The ops are timed on the monotonic clock: the tests run in
// testing/synctest bubbles, whose fake time the TSC does not follow.
func runFake(ctx context.Context, c *config.Config, tg target.Target, o Options) (*results.Run, error) {
	if o.Watchdog == 0 {
		o.Watchdog = 10 * time.Second
	}
	return runTarget(ctx, fakeCell(c), 0, tg, clock.Monotonic(), o)
}
