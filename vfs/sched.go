package vfs

import (
	"math/bits"
	"runtime"
	"time"
)

// The model's tasks are goroutines, and Go schedules them unlike the kernel
// schedules its tasks. Go runs a goroutine until it blocks or, after 10 ms,
// is preempted; a goroutine it wakes (a writer at the end of its dirty pause,
// the flusher given a request tag, a reader whose page was read) waits for a
// P meanwhile. The kernel's EEVDF scheduler gives each running task a slice
// (sysctl_sched_base_slice, 0.75 ms scaled by 1+log2 of the CPUs, 1.5 ms on 2)
// and lets a woken task preempt the running one, which it may do wherever the
// running task is, locks held or not. On the warm mixed workload of
// configs/fidelity.yaml that difference decided the result: 8 model readers
// that never block (every read a cache hit) kept the 2 Ps, and the writers and
// the flusher, which block often, ran a fraction of what the kernel's do
// (model invalidate wrote 21-40k writes/s where ext4 wrote 73-82k).
//
// So a task passes a scheduling point (schedPoint) inside each read and
// write, where the kernel's filemap_read and write paths reach cond_resched
// or may be preempted: after a read copied its data, still holding the read
// entry's lock (XFS's i_rwsem shared), and after a write copied its pages,
// still holding i_rwsem. There it runs the I/O completions the device has
// posted, as an interrupt would on its CPU, and yields its P when those
// completions woke a task (wakeup preemption) or when it has run a slice
// since it last slept or yielded. A yield at the end of an operation instead,
// where the task holds nothing, let the readers queued on i_rwsem in at every
// yield: the kernel's writer is rarely preempted there, it holds i_rwsem for
// most of its write.

// sliceCheckEvery is how many scheduling points pass between looks at the
// clock: the clock costs about 20 ns, a cached read under 1 µs.
const sliceCheckEvery = 16

// timeSlice is EEVDF's base slice for cpus CPUs: 0.75 ms times 1+log2 of the
// CPUs, counting at most 8 (SCHED_TUNABLESCALING_LOG).
func timeSlice(cpus int) time.Duration {
	cpus = min(max(cpus, 1), 8)
	return 750 * time.Microsecond * time.Duration(bits.Len(uint(cpus))) // 1+log2(cpus)
}

// schedState is a task's place in its time slice.
type schedState struct {
	points     int       // scheduling points passed
	sliceStart time.Time // when the slice began; zero: the task slept since
}

// slept notes that the task blocked (a lock wait, I/O, a dirty pause): its
// next slice starts when it runs again.
func (t *Task) slept() { t.sched.sliceStart = time.Time{} }

// schedPoint is a point where the kernel could preempt the task (see above).
func (t *Task) schedPoint() {
	s := &t.sched
	woke := t.fs.queue.Interrupt()
	s.points++
	if !woke && s.points%sliceCheckEvery != 0 {
		return
	}
	now := time.Now()
	switch {
	case s.sliceStart.IsZero():
		s.sliceStart = now
	case woke || now.Sub(s.sliceStart) >= t.fs.opts.TimeSlice:
		s.sliceStart = now
		runtime.Gosched()
	}
}
