// Package blockdev is the backing store under rwbench's filesystem model: a flat array of
// BlockSize blocks that holds the data blocks of every model file.
//
// The page-cache race rwbench measures (docs/design.md section 1) needs real blocks that are freed
// and reused: a reader that maps a page through a stale block number must be able to read
// another file's data. So the store is shared by all model files and its blocks are handed out
// by one Allocator that reuses freed blocks first (LIFO), as a real filesystem soon does.
//
// Three stores implement Store:
//
//   - CreateFile: a regular image file, opened with O_DIRECT by default so that reads and
//     writes reach the disk and the kernel's own page cache does not hide the user-space one.
//   - OpenBlockDevice: a whole block device (or partition), O_DIRECT and O_EXCL, refused
//     while it is mounted, used as swap or held by device mapper, md or LVM.
//   - NewMemory, NewMemoryDevice: an in-memory store, for unit tests and as a modelled device
//     with a service time per I/O, a shared transfer bandwidth and a depth (Device).
//
// A Queue in front of a store is its request queue: a depth of I/Os in flight, synchronous
// and submitted (asynchronous) I/O.
//
// On-disk layout: block 0 is a superblock carrying rwbench's signature
// ("RWBENCH-IMAGE\x00v1"), the block size, the total number of blocks (block 0 included) and
// the creation time; data blocks are 1..NumBlocks(). An existing file or device is formatted
// only if it carries the signature, is an empty file, or Options.Force is set, so a mistyped
// path cannot destroy a user's data. Formatting discards old contents: blocks never written
// since read as zeros.
//
// The direct stores issue one preadv/pwritev per call (split at IOV_MAX), retrying on EINTR
// and continuing after short transfers. They are safe for concurrent use; buffers must be
// BlockSize long and, with O_DIRECT, BlockSize aligned (see AlignedBuffer).
package blockdev
