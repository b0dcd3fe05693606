package blockdev

import (
	"fmt"
	"math/bits"
	"sync"
)

// Allocator hands out data blocks 1..n. A freed block is the next one handed out (LIFO), so
// a freed block soon holds another file's data, as on a real filesystem: that reuse is what
// turns the page-cache race into a data leak. With no freed block waiting, a block goes where
// the caller aims it (the goal), or to the first free block after the goal: the filesystem
// aims each page of a file at its place in one extent of the file's own, so a file written in
// any order, or several files written at once, lie contiguous on the store, as XFS's and
// ext4's allocators lay them out (XFS allocates next to the neighbouring extent, in the
// inode's allocation group; ext4 aims at the inode's block group). Writeback merges adjacent
// blocks into one I/O, so the layout decides how many I/Os the device sees.
//
// One mutex guards everything: allocation happens on writes, page_mkwrite and punch, never
// on the cache-hit path.
type Allocator struct {
	mu    sync.Mutex // guards every field below
	n     uint64
	stack []uint64 // freed blocks, most recent last
	used  []uint64 // bitmap, bit b set while block b is allocated
	count uint64   // allocated blocks
}

// NewAllocator returns an allocator over blocks 1..n, all free.
func NewAllocator(n uint64) *Allocator {
	return &Allocator{n: n, used: make([]uint64, n/64+1)}
}

// Alloc returns a free block: the most recently freed one, else goal if it is free, else the
// first free block after goal (wrapping past n to 1). A goal outside 1..n aims at block 1. It
// returns ErrNoSpace when every block is allocated.
func (a *Allocator) Alloc(goal uint64) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.count == a.n {
		return 0, ErrNoSpace
	}
	var b uint64
	if len(a.stack) > 0 {
		b = a.stack[len(a.stack)-1]
		a.stack = a.stack[:len(a.stack)-1]
	} else {
		if goal == 0 || goal > a.n {
			goal = 1
		}
		b = a.firstFree(goal)
	}
	a.used[b/64] |= 1 << (b % 64)
	a.count++
	return b, nil
}

// firstFree returns the first free block at or after goal, wrapping past n to 1; a.mu is
// held and a block is free.
func (a *Allocator) firstFree(goal uint64) uint64 {
	for b := goal; ; {
		w := ^a.used[b/64] >> (b % 64) // free bits from b on in b's word
		if w != 0 {
			if f := b + uint64(bits.TrailingZeros64(w)); f <= a.n {
				return f
			}
		}
		b = (b/64 + 1) * 64 // the next word
		if b > a.n {
			b = 1
		}
	}
}

// Free returns blk to the allocator. Freeing a block that is not allocated (double free) or
// out of range is an error matching ErrDoubleFree or ErrRange, and changes nothing.
func (a *Allocator) Free(blk uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if blk == 0 || blk > a.n {
		return fmt.Errorf("%w: free of block %d (blocks are 1..%d)", ErrRange, blk, a.n)
	}
	if a.used[blk/64]&(1<<(blk%64)) == 0 {
		return fmt.Errorf("%w: block %d", ErrDoubleFree, blk)
	}
	a.used[blk/64] &^= 1 << (blk % 64)
	a.count--
	a.stack = append(a.stack, blk)
	return nil
}

// IsFree reports whether blk is a free data block (false for 0 and out-of-range blocks).
func (a *Allocator) IsFree(blk uint64) bool {
	if blk == 0 || blk > a.n {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.used[blk/64]&(1<<(blk%64)) == 0
}

// Used returns the number of allocated blocks.
func (a *Allocator) Used() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}

// FreeCount returns the number of free blocks.
func (a *Allocator) FreeCount() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n - a.count
}

// Blocks returns n, the number of blocks the allocator manages.
func (a *Allocator) Blocks() uint64 { return a.n }

// usedBits counts the bitmap; tests use it to check count.
func (a *Allocator) usedBits() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var c int
	for _, w := range a.used {
		c += bits.OnesCount64(w)
	}
	return uint64(c)
}
