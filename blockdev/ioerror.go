package blockdev

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// IOError is a transfer that failed: the store, the blocks and the cause (an
// errno such as EIO from the kernel, or an injected one). It names the byte
// offset too, which is what a kernel log or a device's error counters show.
type IOError struct {
	Path  string // the image or device; "memory" for the memory store
	Op    string // "read" or "write"
	Block uint64 // the first block of the transfer
	N     int    // blocks in the transfer; 0 for a sync
	Err   error
}

func (e *IOError) Error() string {
	msg := e.Err.Error()
	var errno unix.Errno
	if errors.As(e.Err, &errno) {
		msg += " (" + unix.ErrnoName(errno) + ")"
	}
	if e.N == 0 { // no transfer: fdatasync
		return fmt.Sprintf("blockdev: %s: %s: %s", e.Path, e.Op, msg)
	}
	return fmt.Sprintf("blockdev: %s: %s blocks %d..%d at offset %d: %s",
		e.Path, e.Op, e.Block, e.Block+uint64(e.N)-1, int64(e.Block)*BlockSize, msg)
}

func (e *IOError) Unwrap() error { return e.Err }
