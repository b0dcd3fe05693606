package runner

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/rwbench/rwbench/target"
)

// watch waits for the workers, and fails the run if no operation completes for
// the watchdog period while some worker is inside one.
func watch(done <-chan struct{}, workers []*worker, o Options) error {
	tick := time.NewTicker(min(o.Watchdog/4, time.Second))
	defer tick.Stop()
	var last int64 = -1
	lastChange := time.Now()
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
		}
		var n int64
		busy := false
		for _, w := range workers {
			n += w.done.Load()
			busy = busy || w.inOp.Load() != 0
		}
		// One worker stuck in one op (a hung I/O) is stuck even while the
		// others complete theirs: the kernel's hung-task check, per task.
		if hung := hungWorker(workers, o.Watchdog); hung >= 0 {
			dump(o.Log, workers, o.Watchdog)
			return fmt.Errorf("%w by worker %d (jobs[%d] %s) for %v", ErrStalled, hung, workers[hung].job, workers[hung].op, o.Watchdog)
		}
		if n != last || !busy {
			last, lastChange = n, time.Now()
			continue
		}
		if time.Since(lastChange) >= o.Watchdog {
			dump(o.Log, workers, time.Since(lastChange))
			return fmt.Errorf("%w for %v", ErrStalled, o.Watchdog)
		}
	}
}

// dump writes what each worker is doing and holds, then every goroutine's
// stack: what a stuck run leaves to debug it.
func dump(w io.Writer, workers []*worker, stalled time.Duration) {
	fmt.Fprintf(w, "rwbench: watchdog: no operation completed for %v; held locks and stacks follow\n", stalled.Round(time.Millisecond))
	for i, wk := range workers {
		since := wk.inOp.Load()
		state := "idle"
		if since == inOpUnclocked {
			state = fmt.Sprintf("in %s (not timed: record is off)", wk.op)
		} else if since != 0 {
			state = fmt.Sprintf("in %s for %v", wk.op, time.Since(time.Unix(0, since)).Round(time.Millisecond))
		}
		held := ""
		if h, ok := wk.target.(target.HeldLocker); ok {
			held = h.Held() // the model's Task synchronizes with its stuck owner
		}
		fmt.Fprintf(w, "worker %d (jobs[%d] %s): %s; holds: %s\n", i, wk.job, wk.op, state, held)
	}
	dumpStacks(w)
}

// dumpStacks writes every goroutine's stack.
func dumpStacks(w io.Writer) {
	buf := make([]byte, 1<<20)
	fmt.Fprintf(w, "%s\n", buf[:runtime.Stack(buf, true)])
}

// hungWorker is the index of a worker that has been inside one operation for
// at least d, or -1. Only timed workers say when their op began.
func hungWorker(workers []*worker, d time.Duration) int {
	now := time.Now().UnixNano()
	for i, w := range workers {
		if since := w.inOp.Load(); since > inOpUnclocked && now-since >= int64(d) {
			return i
		}
	}
	return -1
}
