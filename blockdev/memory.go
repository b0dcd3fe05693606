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
	latency time.Duration
	closed  atomic.Bool
	stripes [memStripes]memStripe
}

type memStripe struct {
	mu sync.Mutex // guards m
	m  map[uint64]*[BlockSize]byte
	_  [64 - 16]byte // pad to a cache line so stripes do not share one
}

// NewMemory returns an in-memory store of blocks data blocks for unit tests. A non-zero
// latency delays every ReadBlocks and WriteBlocks call once (not per block): by a sleep, or
// by a spin that yields the processor when latency is under 100µs. Buffers need not be
// aligned.
func NewMemory(blocks uint64, latency time.Duration) Store {
	s := &memStore{blocks: blocks, latency: latency}
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
	if err := s.check(); err != nil {
		return err
	}
	if err := checkIO(blk, bufs, s.blocks, false); err != nil {
		return err
	}
	s.delay()
	for i, b := range bufs {
		n := blk + uint64(i)
		st := &s.stripes[n%memStripes]
		st.mu.Lock()
		if p := st.m[n]; p != nil {
			copy(b, p[:])
		} else {
			clear(b)
		}
		st.mu.Unlock()
	}
	return nil
}

func (s *memStore) WriteBlocks(blk uint64, bufs [][]byte) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := checkIO(blk, bufs, s.blocks, false); err != nil {
		return err
	}
	s.delay()
	for i, b := range bufs {
		n := blk + uint64(i)
		st := &s.stripes[n%memStripes]
		st.mu.Lock()
		p := st.m[n]
		if p == nil {
			p = new([BlockSize]byte)
			st.m[n] = p
		}
		copy(p[:], b)
		st.mu.Unlock()
	}
	return nil
}

func (s *memStore) delay() {
	d := s.latency
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
