package blockdev

import "sync"

// DefaultQueueDepth is the I/Os a Queue keeps in flight by default: 128, the
// tags of one hardware queue of this project's reference machine's virtio-blk
// disk (/sys/block/vda/mq/0/nr_tags) and blk-mq's BLKDEV_DEFAULT_RQ. An NVMe
// queue has more (the nvme driver asks for 1023), but the kernel's writeback and
// readahead from a handful of tasks rarely keep more than this in flight.
const DefaultQueueDepth = 128

// Queue is a store's request queue, as blk-mq's tags make one: at most depth
// I/Os are in flight; a submitter that finds them all taken waits for one to
// complete (as submit_bio sleeps for a tag). Submit returns once the I/O is
// issued and runs its completion where the I/O ends, as an interrupt handler
// would; Read and Write issue an I/O and wait for it.
//
// On a file or block device the I/O goes through an io_uring (see ring) when
// the kernel gives one; otherwise, and on the memory store and wrappers such
// as the fault injector, each I/O is a goroutine calling the store.
type Queue struct {
	store    Store
	direct   *directStore  // store, when the ring can reach its descriptor
	ring     *ring         // nil: a goroutine per I/O
	ringErr  error         // why there is no ring on a direct store
	tags     chan struct{} // one per I/O in flight
	inflight sync.WaitGroup
}

// NewQueue returns a queue of depth over s; depth <= 0 is DefaultQueueDepth.
// Close releases it.
func NewQueue(s Store, depth int) *Queue {
	if depth <= 0 {
		depth = DefaultQueueDepth
	}
	q := &Queue{store: s, tags: make(chan struct{}, depth)}
	if d, ok := s.(*directStore); ok {
		q.direct = d
		q.ring, q.ringErr = newRing(depth)
	}
	return q
}

// Store is the store under the queue.
func (q *Queue) Store() Store { return q.store }

// Fallback is why a file or device store's queue has no ring (io_uring_setup
// refused it) and issues a goroutine per I/O instead; nil if it has one, or if
// the store is not a file or device.
func (q *Queue) Fallback() error { return q.ringErr }

// Read reads len(bufs) blocks at blk through the queue and waits for them.
func (q *Queue) Read(blk uint64, bufs [][]byte) error { return q.wait(false, blk, bufs) }

// Write writes len(bufs) blocks at blk through the queue and waits for them.
func (q *Queue) Write(blk uint64, bufs [][]byte) error { return q.wait(true, blk, bufs) }

func (q *Queue) wait(write bool, blk uint64, bufs [][]byte) error {
	if q.useRing(bufs) {
		// The caller parks on a channel, not in a system call, so its P runs
		// other goroutines meanwhile, as a task sleeping on I/O frees its CPU.
		ch := make(chan error, 1)
		q.Submit(write, blk, bufs, func(err error) { ch <- err })
		return <-ch
	}
	q.tags <- struct{}{}
	defer func() { <-q.tags }()
	return q.transfer(write, blk, bufs)
}

// transfer moves bufs at blk through the store itself, synchronously.
func (q *Queue) transfer(write bool, blk uint64, bufs [][]byte) error {
	if write {
		return q.store.WriteBlocks(blk, bufs)
	}
	return q.store.ReadBlocks(blk, bufs)
}

// useRing reports whether an I/O of bufs goes through the ring: one
// submission queue entry carries at most IOV_MAX buffers.
func (q *Queue) useRing(bufs [][]byte) bool { return q.ring != nil && len(bufs) <= maxIovecs }

// Submit issues a read (write false) or write of len(bufs) blocks at blk and
// returns once a tag is taken; done runs with the I/O's result when it
// completes, before the tag is freed. bufs belong to the I/O until then. done
// may run on any goroutine, the submitter's included, and must not block.
func (q *Queue) Submit(write bool, blk uint64, bufs [][]byte, done func(error)) {
	q.submit(nil, write, blk, bufs, done)
}

// submit is Submit, held back in plug when plug is not nil.
func (q *Queue) submit(plug *Plug, write bool, blk uint64, bufs [][]byte, done func(error)) {
	select {
	case q.tags <- struct{}{}:
	default:
		// Every tag is taken: the task will sleep for one, and a task that
		// sleeps issues its plugged I/O first (as schedule() flushes the
		// plug), or it could wait for tags its own unissued I/Os hold.
		plug.Finish()
		q.tags <- struct{}{}
	}
	q.inflight.Add(1)
	end := func(err error) {
		done(err)
		<-q.tags
		q.inflight.Done()
	}
	if q.useRing(bufs) {
		q.direct.submitRing(q.ring, write, blk, bufs, plug == nil, end)
		if plug != nil {
			plug.queued++
			if plug.queued >= plugMax {
				plug.Finish()
			}
		}
		return
	}
	go func() { end(q.transfer(write, blk, bufs)) }()
}

// plugMax is the most I/Os a plug holds before it issues them: the block
// layer's BLK_MAX_REQUEST_COUNT.
const plugMax = 32

// Plug holds a task's submissions back and issues them together, as the
// kernel's writeback and readahead do between blk_start_plug and
// blk_finish_plug: one io_uring_enter then issues them all, and the device is
// notified once for the batch (a notification is a VM exit on a virtual
// disk, some microseconds each). A plug is one task's; its zero value is not
// usable, Queue.Plug makes one.
type Plug struct {
	q      *Queue
	queued int // submitted into the ring, not yet issued
}

// Plug starts a plug on q.
func (q *Queue) Plug() Plug { return Plug{q: q} }

// Submit is Queue.Submit, held back until Finish or until the plug is full.
func (p *Plug) Submit(write bool, blk uint64, bufs [][]byte, done func(error)) {
	p.q.submit(p, write, blk, bufs, done)
}

// Finish issues the held-back I/Os. A task calls it before it sleeps, so that
// no one waits for an I/O that was never issued; a nil plug does nothing.
func (p *Plug) Finish() {
	if p == nil || p.queued == 0 {
		return
	}
	p.queued = 0
	p.q.ring.issue()
}

// Interrupt runs, on the calling goroutine, the completions the device has
// posted, as the kernel runs them in an interrupt on whichever CPU is busy,
// and reports whether it ran any (they may have woken tasks). With a
// goroutine per I/O there is nothing to run: each completes on its own.
func (q *Queue) Interrupt() bool {
	if q.ring == nil || !q.ring.posted() {
		return false
	}
	return q.ring.reap() > 0
}

// Drain waits until every submitted I/O has completed.
func (q *Queue) Drain() { q.inflight.Wait() }

// Close waits for the I/O in flight and releases the ring. It does not close
// the store.
func (q *Queue) Close() {
	q.Drain()
	if q.ring != nil {
		q.ring.close()
		q.ring = nil
	}
}
