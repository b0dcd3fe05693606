package blockdev

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinBelow is the latency under which memStore spins instead of sleeping: a timer sleep
// overshoots short waits by tens of microseconds.
const spinBelow = 100 * time.Microsecond

const memStripes = 64

// memStore keeps blocks in striped maps: blocks never written take no memory and read as
// zeros. Each block is copied under its stripe's mutex, so a read racing a write of the same
// block sees either version whole (and the race detector stays quiet), while transfers of
// several blocks are not atomic, like a real device's.
type memStore struct {
	blocks  uint64
	dev     Device
	slots   chan struct{} // one per I/O in service, Device.Depth of them; nil: unlimited
	closed  atomic.Bool
	stripes [memStripes]memStripe

	busMu   sync.Mutex // guards busFree
	busFree time.Time  // when the transfers booked so far are done (Device.Bandwidth)
}

// Device is the service model of the memory store. An I/O waits for one of Depth
// slots (the device's own queue: commands beyond it wait in the host's), then is
// in service for Latency, overlapped with the other I/Os in service (a flash
// device's parallel channels, a virtual disk's host threads), then transfers its
// bytes over a link that all I/Os share at Bandwidth bytes per second, one
// transfer after another. Small random I/O is so bounded by Depth/Latency I/Os
// per second, large I/O by Bandwidth: the two limits a real device shows.
type Device struct {
	Latency   time.Duration // service time of each I/O; 0: none
	Bandwidth int64         // bytes per second of the shared transfer; 0: unlimited
	Depth     int           // I/Os in service at once; 0: unlimited
}

type memStripe struct {
	mu sync.Mutex // guards m
	m  map[uint64]*[BlockSize]byte
	_  [64 - 16]byte // pad to a cache line so stripes do not share one
}

// NewMemory returns an in-memory store of blocks data blocks for unit tests. A non-zero
// latency delays every ReadBlocks and WriteBlocks call once (not per block), with no limit on
// the calls in service at once: NewMemoryDevice with only a Latency.
func NewMemory(blocks uint64, latency time.Duration) Store {
	return NewMemoryDevice(blocks, Device{Latency: latency})
}

// NewMemoryDevice returns an in-memory store of blocks data blocks that serves each
// ReadBlocks and WriteBlocks call as dev says. A wait is a sleep, or a spin that yields the
// processor when it is under 100µs. Buffers need not be aligned.
func NewMemoryDevice(blocks uint64, dev Device) Store {
	s := &memStore{blocks: blocks, dev: dev}
	if dev.Depth > 0 {
		s.slots = make(chan struct{}, dev.Depth)
	}
	for i := range s.stripes {
		s.stripes[i].m = make(map[uint64]*[BlockSize]byte)
	}
	return s
}

func (s *memStore) NumBlocks() uint64 { return s.blocks }
func (s *memStore) Kind() string      { return KindMemory }
func (s *memStore) FSType() string    { return KindMemory }
func (s *memStore) Sync() error       { return s.check() }

func (s *memStore) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return nil
}

func (s *memStore) check() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (s *memStore) ReadBlocks(blk uint64, bufs [][]byte) error {
	return s.transfer(blk, bufs, func(m map[uint64]*[BlockSize]byte, n uint64, b []byte) {
		if p := m[n]; p != nil {
			copy(b, p[:])
		} else {
			clear(b)
		}
	})
}

func (s *memStore) WriteBlocks(blk uint64, bufs [][]byte) error {
	return s.transfer(blk, bufs, func(m map[uint64]*[BlockSize]byte, n uint64, b []byte) {
		p := m[n]
		if p == nil {
			p = new([BlockSize]byte)
			m[n] = p
		}
		copy(p[:], b)
	})
}

// transfer checks an I/O of bufs at blk, waits out its service, and then calls
// copyBlock for each block n with its stripe's map, under the stripe's mutex.
func (s *memStore) transfer(blk uint64, bufs [][]byte, copyBlock func(m map[uint64]*[BlockSize]byte, n uint64, b []byte)) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := checkIO(blk, bufs, s.blocks, false); err != nil {
		return err
	}
	defer s.serve(len(bufs))()
	for i, b := range bufs {
		n := blk + uint64(i)
		st := &s.stripes[n%memStripes]
		st.mu.Lock()
		copyBlock(st.m, n, b)
		st.mu.Unlock()
	}
	return nil
}

// serve takes a device slot and waits out the service of an I/O of n blocks (see
// Device); the copy happens after, and the function it returns frees the slot.
func (s *memStore) serve(n int) func() {
	if s.slots != nil {
		s.slots <- struct{}{}
	}
	d := s.dev
	if d.Latency > 0 || d.Bandwidth > 0 {
		start := time.Now()
		done := start.Add(d.Latency)
		if d.Bandwidth > 0 {
			xfer := time.Duration(int64(n) * BlockSize * int64(time.Second) / d.Bandwidth)
			s.busMu.Lock()
			from := done
			if s.busFree.After(from) {
				from = s.busFree // the link is busy with earlier transfers
			}
			s.busFree = from.Add(xfer)
			done = s.busFree
			s.busMu.Unlock()
		}
		wait(done.Sub(start))
	}
	return func() {
		if s.slots != nil {
			<-s.slots
		}
	}
}

// wait sleeps for d, or spins yielding the processor when d is under spinBelow.
func wait(d time.Duration) {
	if d <= 0 {
		return
	}
	if d >= spinBelow {
		time.Sleep(d)
		return
	}
	for start := time.Now(); time.Since(start) < d; {
		runtime.Gosched()
	}
}
