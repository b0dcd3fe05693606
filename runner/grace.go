package runner

// workerReaders are a run's workers as the oracle's Readers: a worker's
// Snapshot and Checks all happen inside do(), after loop (or countLoop) stores
// a nonzero inOp and before it stores 0 and then adds 1 to done. So the
// counters the watchdog reads also tell the oracle's retirer when the reads in
// flight at a Mark have ended, at no cost to the workers.
//
// Why it is enough (every access is a sequentially consistent atomic, so all
// of them fall in one total order S consistent with each goroutine's program
// order). Take a read whose Snapshot loaded a floor word before the retirer's
// scan loaded it; the oracle needs that read's Checks to finish before it drops
// what the scan found dead. In S: the worker's inOp store < its Snapshot < the
// scan's floor loads < Mark's load of inOp (then of done). So Mark's inOp load
// reads that op's store or a later one:
//   - 0: a store of 0 after the op's own, so the op has ended;
//   - nonzero, with done d read after it: every op of the worker before ours
//     had added to done before our op stored inOp, so d >= our op's number - 1,
//     and done > d later means our op (or a later one) has ended; inOp = 0
//     later is, as above, a store of 0 after our op's store.
//
// A worker's ops run one at a time, so that covers them all. Only the workers
// may Snapshot and Check while retirement runs (prefill only writes, fsck runs
// after it stops).
type workerReaders []*worker

// Mark notes the workers inside an op and returns whether each of them has
// since left it.
func (ws workerReaders) Mark() func() bool {
	type busy struct {
		w    *worker
		done int64
	}
	var inOp []busy
	for _, w := range ws {
		if w.inOp.Load() != 0 {
			inOp = append(inOp, busy{w, w.done.Load()})
		}
	}
	return func() bool {
		for len(inOp) > 0 {
			b := inOp[len(inOp)-1]
			if b.w.inOp.Load() != 0 && b.w.done.Load() <= b.done {
				return false
			}
			inOp = inOp[:len(inOp)-1]
		}
		return true
	}
}
