package blockdev

import (
	"time"

	"golang.org/x/sys/unix"
)

// Faults says which I/Os a faulty store fails or delays (config backend.faults).
// The block predicates get the first block and the length of a transfer; nil
// matches nothing.
type Faults struct {
	ReadEIO, WriteEIO func(blk uint64, n int) bool
	// Stalled transfers sleep StallFor before they go on (a hung device): the
	// sleep cannot be interrupted, as an I/O stuck in the kernel cannot.
	Stalled  func(blk uint64, n int) bool
	StallFor time.Duration
	// From DeadAfter after the store was wrapped, for DeadFor (0: for good),
	// every I/O and Sync fails with EIO: a disk that dies or drops out.
	DeadAfter, DeadFor time.Duration
	// From is when the EIO and stall faults begin, after the store was wrapped.
	From time.Duration
}

// faultyStore wraps a store and fails or delays the I/Os its Faults select
// before they reach it. It holds no state of its own but the time it was made,
// so it is as safe for concurrent use as the store it wraps.
type faultyStore struct {
	Store
	name   string
	f      Faults
	opened time.Time
}

// NewFaulty wraps s so that the I/Os f selects fail with EIO or stall; name is
// the store's path in error messages.
func NewFaulty(s Store, name string, f Faults) Store {
	return &faultyStore{Store: s, name: name, f: f, opened: time.Now()}
}

// dead reports whether the device is down now.
func (s *faultyStore) dead() bool {
	if s.f.DeadAfter <= 0 {
		return false
	}
	since := time.Since(s.opened)
	return since >= s.f.DeadAfter && (s.f.DeadFor <= 0 || since < s.f.DeadAfter+s.f.DeadFor)
}

// inject stalls and fails a transfer as the faults say; nil lets it through.
func (s *faultyStore) inject(op string, blk uint64, n int, eio func(uint64, int) bool) error {
	begun := time.Since(s.opened) >= s.f.From
	if begun && s.f.Stalled != nil && s.f.Stalled(blk, n) {
		time.Sleep(s.f.StallFor)
	}
	if s.dead() || (begun && eio != nil && eio(blk, n)) {
		return &IOError{Path: s.name, Op: op, Block: blk, N: n, Err: unix.EIO}
	}
	return nil
}

func (s *faultyStore) ReadBlocks(blk uint64, bufs [][]byte) error {
	if err := s.inject("read", blk, len(bufs), s.f.ReadEIO); err != nil {
		return err
	}
	return s.Store.ReadBlocks(blk, bufs)
}

func (s *faultyStore) WriteBlocks(blk uint64, bufs [][]byte) error {
	if err := s.inject("write", blk, len(bufs), s.f.WriteEIO); err != nil {
		return err
	}
	return s.Store.WriteBlocks(blk, bufs)
}

func (s *faultyStore) Sync() error {
	if s.dead() {
		return &IOError{Path: s.name, Op: "fdatasync", Err: unix.EIO}
	}
	return s.Store.Sync()
}
