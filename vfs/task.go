package vfs

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Task is one worker's context, the model's `current`: its lock statistics, the
// locks it holds (when tracked), its process (mm) and its per-file readahead
// state. A Task is used by one goroutine at a time. It implements runner.Worker.
type Task struct {
	fs         *FS
	locks      LockCounters
	hist       *lockHist // wait and hold histograms, with LockTiming
	tracking   bool      // keep the held-lock list (validation or hold timing)
	validating bool      // check every acquisition (Options.Validate)
	// held is written by the owner under heldMu, read by the owner without it
	// and by the watchdog (Held) with it.
	heldMu  sync.Mutex
	held    []held
	waiting bool // in contend, for waitFor; guarded by heldMu
	waitFor held
	// offCPU is set while the task waits for a lock in contend: a writer
	// spinning on a lock the task holds gives up (see RWSem).
	offCPU atomic.Bool
	// contexts maps each lock context the task has validated to the stack of
	// its first acquisition (see checkAcquire).
	contexts map[uint64][]uintptr
	mm       *MM
	ra       []raState
	throttle throttle   // dirty throttling (balanceDirty)
	sched    schedState // the time slice (schedPoint)
	// ioSlept says the current operation slept on I/O (a read, or a page
	// lock held across one): its shared releases then let a woken writer
	// retry first (RWSem's writerWoken).
	ioSlept   bool
	wroteBack int64 // pages the task put under writeback

	strategyState []any // see PushStrategyState

	qs      qsState           // quiescent states, for the buffer pool
	spare   []*[PageSize]byte // buffers past their grace period, for this task's next pages
	retired []*[PageSize]byte // buffers this task unpublished, not sealed yet

	// scratch, reused to avoid allocation per operation
	batch  []batchPage
	iov    [][]byte
	bounce *[PageSize]byte // ReadToMapping's page on its way to the user buffer
}

// raState is a file's readahead state (struct file_ra_state) for one task.
type raState struct {
	start, size, async uint64
	prev               uint64 // last page index read, +1; 0 before the first read
	mmapMiss           int
}

// NewTask returns a task with its own mm.
func (fs *FS) NewTask() *Task {
	t := &Task{fs: fs, tracking: fs.opts.Validate || fs.opts.LockTiming, validating: fs.opts.Validate,
		ra: make([]raState, len(fs.inodes))}
	if fs.opts.LockTiming {
		t.hist = new(lockHist)
	}
	t.throttle.nrDirtiedPause = dirtyPollThresh // a new task's, as fork sets it
	t.mm = newMM(len(fs.inodes))
	fs.buffers.register(&t.qs)
	fs.tasksMu.Lock()
	fs.tasks = append(fs.tasks, t)
	fs.tasksMu.Unlock()
	return t
}

// Close unmaps the task's mappings. Its lock statistics stay in the totals.
func (t *Task) Close() error {
	t.mm.unmapAll(t)
	if len(t.retired) > 0 {
		t.fs.buffers.seal(t.retired)
		t.retired = nil
	}
	t.fs.buffers.unregister(&t.qs)
	t.fs.buffers.giveBack(t.spare) // never published: no grace period to wait
	t.spare = nil
	if len(t.held) > 0 {
		return fmt.Errorf("task closed holding %s", t.Held())
	}
	return nil
}

func (t *Task) pageRange(file int, off, length int64) (*Inode, uint64, uint64, error) {
	ino, err := t.fs.inode(file)
	if err != nil {
		return nil, 0, 0, err
	}
	if off < 0 || length < 0 || off%PageSize != 0 || length%PageSize != 0 {
		return nil, 0, 0, fmt.Errorf("file %d offset %d length %d: %w", file, off, length, ErrAlign)
	}
	first, end := uint64(off/PageSize), uint64((off+length)/PageSize)
	if end > ino.maxPages {
		end = ino.maxPages
	}
	if first > end {
		first = end
	}
	return ino, first, end, nil
}
