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
// issued and runs its completion on the I/O's own goroutine, as an interrupt
// handler would; Read and Write issue an I/O and wait for it.
type Queue struct {
	store    Store
	tags     chan struct{} // one per I/O in flight
	inflight sync.WaitGroup
}

// NewQueue returns a queue of depth over s; depth <= 0 is DefaultQueueDepth.
func NewQueue(s Store, depth int) *Queue {
	if depth <= 0 {
		depth = DefaultQueueDepth
	}
	return &Queue{store: s, tags: make(chan struct{}, depth)}
}

// Store is the store under the queue.
func (q *Queue) Store() Store { return q.store }

// Read reads len(bufs) blocks at blk through the queue and waits for them.
func (q *Queue) Read(blk uint64, bufs [][]byte) error {
	q.tags <- struct{}{}
	defer func() { <-q.tags }()
	return q.store.ReadBlocks(blk, bufs)
}

// Write writes len(bufs) blocks at blk through the queue and waits for them.
func (q *Queue) Write(blk uint64, bufs [][]byte) error {
	q.tags <- struct{}{}
	defer func() { <-q.tags }()
	return q.store.WriteBlocks(blk, bufs)
}

// Submit issues a read (write false) or write of len(bufs) blocks at blk and
// returns once a tag is taken; done runs with the I/O's result when it
// completes, before the tag is freed. bufs belong to the I/O until then.
func (q *Queue) Submit(write bool, blk uint64, bufs [][]byte, done func(error)) {
	q.tags <- struct{}{}
	q.inflight.Add(1)
	go func() {
		defer q.inflight.Done()
		var err error
		if write {
			err = q.store.WriteBlocks(blk, bufs)
		} else {
			err = q.store.ReadBlocks(blk, bufs)
		}
		done(err)
		<-q.tags
	}()
}

// Drain waits until every submitted I/O has completed.
func (q *Queue) Drain() { q.inflight.Wait() }
