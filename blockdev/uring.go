package blockdev

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A ring is an io_uring instance over a direct store's descriptor: the
// queue's asynchronous I/O when the store is a file or a block device.
//
// Why not a goroutine per I/O: a goroutine blocked in preadv or pwritev holds
// its P (and an M) until sysmon hands the P off, 20 µs to 10 ms later. With
// two Ps, two I/Os in flight stall every other goroutine for that long, so the
// flusher submitted about 17k writes/s and kept under 8 in flight, where the
// device takes about 70k 8 KiB writes/s at depth 128 (fio, libaio). With a
// ring, one short io_uring_enter issues an I/O and returns; the kernel does
// the I/O asynchronously, as the loop device under the real filesystems does
// with its backing file (lo_rw_aio), and posts the completion to a queue in
// shared memory.
//
// Completions are reaped by a goroutine parked in the netpoller on an eventfd
// registered with the ring (the kernel signals it at each completion), so no
// thread or P waits for I/O; a submitter also reaps what has completed when
// it submits, as a CPU takes interrupts wherever it runs. Completion callbacks
// therefore run on whichever goroutine reaps: they must not block on anything
// a submitter may hold (the model's take only leaf mutexes).
type ring struct {
	fd     int
	events *os.File // the eventfd, read through the netpoller
	mem    [][]byte // the mmapped rings, unmapped at close

	sqMu    sync.Mutex // guards the submission queue and queued; held across io_uring_enter
	queued  int        // entries in the submission queue not yet issued
	sqTail  *uint32
	sqMask  uint32
	sqArray []uint32
	sqes    []uringSQE
	// slots are the I/Os in flight, by the id the kernel hands back; a slot
	// belongs to whoever took its id from free, until it gives it back.
	slots []atomic.Pointer[ringSlot] // atomic: the kernel hands an I/O from submitter to reaper, unseen by the race detector

	free     chan uint64
	cqHead   *uint32
	cqTail   *uint32
	cqMask   uint32
	cqes     unsafe.Pointer
	reaperOK chan struct{} // closed when the reaper goroutine returns
}

// ringSlot is an I/O in flight: what the kernel reads or writes (iov, which
// keeps the buffers reachable until it completes) and whom to tell.
type ringSlot struct {
	write bool
	fd    int
	off   int64
	iov   []unix.Iovec
	done  func(n int, errno unix.Errno)
}

// The kernel's structures (include/uapi/linux/io_uring.h).
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode, flags uint8
	ioprio        uint16
	fd            int32
	off, addr     uint64
	len, rwFlags  uint32
	userData      uint64
	_             [3]uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

const (
	opReadv          = 1          // IORING_OP_READV
	opWritev         = 2          // IORING_OP_WRITEV
	offSQRing        = 0          // IORING_OFF_SQ_RING
	offCQRing        = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs          = 0x10000000 // IORING_OFF_SQES
	registerEventFD  = 4          // IORING_REGISTER_EVENTFD
	featSingleMmap   = 1          // IORING_FEAT_SINGLE_MMAP
	uringCQESize     = 16
	uringSQESize     = 64
	uringArrayElemSz = 4
)

// newRing sets up a ring for depth I/Os in flight. An error means the kernel
// will not give one (io_uring disabled by kernel.io_uring_disabled or a
// seccomp filter, or too old a kernel): the queue then uses goroutines.
func newRing(depth int) (*ring, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(depth), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	r := &ring{fd: int(fd), reaperOK: make(chan struct{})}
	fail := func(err error) (*ring, error) {
		r.unmap()
		_ = unix.Close(r.fd)
		return nil, err
	}
	sqSize := int(p.sqOff.array + p.sqEntries*uringArrayElemSz)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uringCQESize)
	if p.features&featSingleMmap != 0 {
		sqSize = max(sqSize, cqSize)
	}
	sq, err := r.mmap(offSQRing, sqSize)
	if err != nil {
		return fail(err)
	}
	cq := sq
	if p.features&featSingleMmap == 0 {
		if cq, err = r.mmap(offCQRing, cqSize); err != nil {
			return fail(err)
		}
	}
	sqes, err := r.mmap(offSQEs, int(p.sqEntries)*uringSQESize)
	if err != nil {
		return fail(err)
	}
	u32 := func(b []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }
	r.sqTail = u32(sq, p.sqOff.tail)
	r.sqMask = *u32(sq, p.sqOff.ringMask)
	r.sqArray = unsafe.Slice(u32(sq, p.sqOff.array), p.sqEntries)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&sqes[0])), p.sqEntries)
	r.cqHead = u32(cq, p.cqOff.head)
	r.cqTail = u32(cq, p.cqOff.tail)
	r.cqMask = *u32(cq, p.cqOff.ringMask)
	r.cqes = unsafe.Pointer(&cq[p.cqOff.cqes])
	// The queue's tags keep at most depth I/Os in flight, and the kernel
	// rounds the submission queue up to a power of two (the completion queue
	// is twice that): neither ring can overflow.
	r.slots = make([]atomic.Pointer[ringSlot], depth)
	r.free = make(chan uint64, depth)
	for i := range depth {
		r.free <- uint64(i)
	}

	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fail(fmt.Errorf("eventfd: %w", err))
	}
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerEventFD, uintptr(unsafe.Pointer(&efd)), 1, 0, 0); errno != 0 {
		_ = unix.Close(efd)
		return fail(fmt.Errorf("io_uring_register eventfd: %w", errno))
	}
	r.events = os.NewFile(uintptr(efd), "io_uring completions") // non-blocking: the netpoller waits on it
	go r.reaper()
	return r, nil
}

func (r *ring) mmap(off int64, size int) ([]byte, error) {
	b, err := unix.Mmap(r.fd, off, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mmap io_uring at %#x: %w", off, err)
	}
	r.mem = append(r.mem, b)
	return b, nil
}

func (r *ring) unmap() {
	for _, b := range r.mem {
		_ = unix.Munmap(b)
	}
	r.mem = nil
}

// submit queues a readv or writev of bufs at off on fd; done runs once with
// the bytes moved or the error. With issue it then enters the kernel to issue
// it and everything queued before it; without, it stays queued for a later
// issue (a plug). The caller holds one of the queue's tags, so a slot is free.
func (r *ring) submit(write bool, fd int, off int64, bufs [][]byte, issue bool, done func(n int, errno unix.Errno)) {
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	id := <-r.free // never blocks: the caller holds a tag
	r.sqMu.Lock()
	r.push(id, &ringSlot{write: write, fd: fd, off: off, iov: iov, done: done})
	if issue {
		r.enter()
	}
	r.sqMu.Unlock()
	if issue {
		r.reap() // what has completed meanwhile, as an interrupt would have
	}
}

// issue enters the kernel for every queued I/O.
func (r *ring) issue() {
	r.sqMu.Lock()
	r.enter()
	r.sqMu.Unlock()
	r.reap()
}

// push queues I/O s as slot id in the submission queue; sqMu is held.
func (r *ring) push(id uint64, s *ringSlot) {
	r.slots[id].Store(s)
	tail := atomic.LoadUint32(r.sqTail)
	i := tail & r.sqMask
	op := uint8(opReadv)
	if s.write {
		op = opWritev
	}
	r.sqes[i] = uringSQE{opcode: op, fd: int32(s.fd), off: uint64(s.off),
		addr: uint64(uintptr(unsafe.Pointer(&s.iov[0]))), len: uint32(len(s.iov)), userData: id}
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
	r.queued++
}

// enter issues the queued I/Os with one io_uring_enter, which does not wait
// for them: with O_DIRECT it returns once the requests are issued to the
// device, under one block plug, so the device is notified once for them all.
// sqMu is held.
func (r *ring) enter() {
	for r.queued > 0 {
		n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.queued), 0, 0, 0, 0)
		switch errno {
		case 0:
			r.queued -= int(n)
			continue
		case unix.EINTR, unix.EAGAIN, unix.EBUSY:
			// EAGAIN and EBUSY: the kernel is short of memory or the completion
			// queue is backed up; the reaper is draining it.
			continue
		}
		// io_uring_enter fails this way only when the ring itself is unusable
		// (EBADF, EFAULT), which is a bug here, not an I/O error.
		panic(fmt.Sprintf("blockdev: io_uring_enter: %v", errno))
	}
}

// posted reports whether the kernel has posted completions not yet reaped:
// two loads, cheap enough for every operation's end.
func (r *ring) posted() bool { return atomic.LoadUint32(r.cqHead) != atomic.LoadUint32(r.cqTail) }

// reap runs the completions posted so far and returns how many it ran. Any
// number of goroutines may reap at once: each claims one completion at a time
// by advancing the head, and runs it holding nothing, so a reaper the Go
// scheduler deschedules in a callback (one that blocks on a mutex, say)
// delays that completion only, not the queue.
func (r *ring) reap() int {
	n := 0
	for {
		head := atomic.LoadUint32(r.cqHead)
		if head == atomic.LoadUint32(r.cqTail) {
			return n
		}
		// The kernel writes an entry only past the tail, and at most depth
		// are ever posted (the ring holds twice that): the entry at head
		// stays as it is until the head moves past it.
		c := *(*uringCQE)(unsafe.Add(r.cqes, uintptr(head&r.cqMask)*uringCQESize))
		if atomic.CompareAndSwapUint32(r.cqHead, head, head+1) {
			r.complete(c.userData, c.res)
			n++
		}
	}
}

// complete ends slot id's I/O with res, the bytes moved or -errno. A short
// transfer or an interrupted one is issued again for what is left, as
// preadv and pwritev are retried on the synchronous path.
func (r *ring) complete(id uint64, res int32) {
	s := r.slots[id].Swap(nil)
	var errno unix.Errno
	moved := 0
	if res < 0 {
		errno = unix.Errno(-res)
	} else {
		moved = int(res)
	}
	if errno == unix.EINTR || errno == unix.EAGAIN || (errno == 0 && moved > 0 && moved < iovLen(s.iov)) {
		s.iov = advanceIovec(s.iov, moved)
		s.off += int64(moved)
		r.sqMu.Lock()
		r.push(id, s)
		r.enter()
		r.sqMu.Unlock()
		return
	}
	done := s.done
	r.free <- id // never blocks: it has room for every slot
	done(moved, errno)
}

// reaper waits in the netpoller for the kernel to signal completions, and
// reaps them, until the eventfd is closed.
func (r *ring) reaper() {
	defer close(r.reaperOK)
	var b [8]byte
	for {
		r.reap()
		if _, err := r.events.Read(b[:]); err != nil {
			return // closed by close
		}
	}
}

// close waits for every I/O in flight, which the queue has already done, and
// releases the ring.
func (r *ring) close() {
	_ = r.events.Close()
	<-r.reaperOK
	r.reap() // none should be left; run any that are, so no callback is lost
	r.unmap()
	_ = unix.Close(r.fd)
}

func iovLen(iov []unix.Iovec) int {
	n := 0
	for _, v := range iov {
		n += int(v.Len)
	}
	return n
}

// advanceIovec drops the first n bytes from iov (see advance).
func advanceIovec(iov []unix.Iovec, n int) []unix.Iovec {
	for len(iov) > 0 && n >= int(iov[0].Len) {
		n -= int(iov[0].Len)
		iov = iov[1:]
	}
	if n > 0 {
		iov[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(iov[0].Base), n))
		iov[0].SetLen(int(iov[0].Len) - n)
	}
	return iov
}

// ringResult turns a completion into the synchronous path's result: nil, the
// errno, or, for a transfer that moved nothing before the end, what
// preadvFull and pwritevFull return.
func ringResult(write bool, n int, errno unix.Errno) error {
	switch {
	case errno != 0:
		return errno
	case n == 0 && write:
		return io.ErrShortWrite
	case n == 0:
		return io.ErrUnexpectedEOF
	}
	return nil
}
