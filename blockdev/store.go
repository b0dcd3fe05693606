package blockdev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// BlockSize is the size of every block, and the unit of every transfer.
const BlockSize = 4096

// Kinds returned by Store.Kind.
const (
	KindFile     = "file"
	KindBlockDev = "blockdev"
	KindMemory   = "memory"
)

// Store is a flat array of blocks. Data blocks are numbered 1..NumBlocks(); block 0 is the
// superblock and is not reachable through ReadBlocks or WriteBlocks. Implementations are safe
// for concurrent use, except that Close must not race with other calls.
type Store interface {
	// ReadBlocks reads len(bufs) consecutive blocks starting at blk, one BlockSize buffer
	// each (preadv on the direct stores). Blocks never written since formatting read as zeros.
	ReadBlocks(blk uint64, bufs [][]byte) error
	// WriteBlocks writes len(bufs) consecutive blocks starting at blk (pwritev).
	WriteBlocks(blk uint64, bufs [][]byte) error
	// NumBlocks is the number of usable data blocks, numbered 1..NumBlocks().
	NumBlocks() uint64
	// Kind is KindFile, KindBlockDev or KindMemory.
	Kind() string
	// FSType is the filesystem holding the image ("ext4", "xfs", "tmpfs", ...), or
	// "blockdev" / "memory".
	FSType() string
	// Sync makes completed writes durable (fdatasync).
	Sync() error
	// Close releases the store; later calls return ErrClosed.
	Close() error
}

// Options configures CreateFile and OpenBlockDevice. Error messages name the fields by their
// config keys (backend.path, backend.size, backend.direct, backend.force).
type Options struct {
	Path string
	// Size in bytes. CreateFile: the image size, required. OpenBlockDevice: 0 uses the whole
	// device, otherwise only the first Size bytes.
	Size int64
	// Direct opens with O_DIRECT, bypassing the kernel page cache (the CLI default).
	Direct bool
	// Force allows formatting an existing file or device that does not carry rwbench's
	// signature. It never allows a mounted or otherwise busy device.
	Force bool
}

// Errors that callers may test with errors.Is. Configuration errors carry a one-line message
// naming the path and the fix; these sentinels classify them.
var (
	ErrNoSpace     = errors.New("blockdev: no free blocks")
	ErrDoubleFree  = errors.New("blockdev: block freed twice")
	ErrClosed      = errors.New("blockdev: store is closed")
	ErrRange       = errors.New("blockdev: block out of range")
	ErrBufSize     = errors.New("blockdev: buffer is not BlockSize bytes")
	ErrUnaligned   = errors.New("blockdev: buffer is not BlockSize-aligned (use AlignedBuffer with O_DIRECT)")
	ErrConfig      = errors.New("blockdev: bad backend configuration")
	ErrNotImage    = errors.New("blockdev: not an rwbench image")
	ErrNoDirectIO  = errors.New("blockdev: O_DIRECT unsupported")
	ErrDeviceInUse = errors.New("blockdev: device in use")
)

// configError is a one-line, user-facing message classified by a sentinel.
type configError struct {
	msg  string
	kind error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.kind }

func pathErr(kind error, path, format string, args ...any) error {
	return &configError{msg: "backend.path " + path + ": " + fmt.Sprintf(format, args...), kind: kind}
}

// checkSize validates an image size in bytes.
func checkSize(path string, size int64) error {
	if size <= 0 || size%BlockSize != 0 {
		return pathErr(ErrConfig, path, "backend.size %d is not a positive multiple of %d bytes; round it to whole 4 KiB blocks", size, BlockSize)
	}
	if size < 2*BlockSize {
		return pathErr(ErrConfig, path, "backend.size %d is too small; an image needs at least 2 blocks (%d bytes): block 0 is the superblock", size, 2*BlockSize)
	}
	return nil
}

// AlignedBuffer returns n bytes whose first byte is BlockSize-aligned, as O_DIRECT needs. It
// over-allocates from the Go heap and slices, so the memory is ordinary garbage-collected
// memory; the capacity is clipped to n so appends cannot spill into the slack.
func AlignedBuffer(n int) []byte {
	if n < 0 {
		panic("blockdev: AlignedBuffer: negative size")
	}
	buf := make([]byte, n+BlockSize)
	off := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (BlockSize - 1)); r != 0 {
		off = BlockSize - r
	}
	return buf[off : off+n : off+n]
}

func aligned(b []byte) bool {
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))&(BlockSize-1) == 0
}

// checkIO validates a transfer of len(bufs) blocks at blk on a store of n data blocks.
func checkIO(blk uint64, bufs [][]byte, n uint64, direct bool) error {
	if blk == 0 || blk > n || uint64(len(bufs)) > n-blk+1 {
		return fmt.Errorf("%w: blocks %d..%d of 1..%d", ErrRange, blk, blk+uint64(len(bufs))-1, n)
	}
	for _, b := range bufs {
		if len(b) != BlockSize {
			return fmt.Errorf("%w: %d bytes", ErrBufSize, len(b))
		}
		if direct && !aligned(b) {
			return ErrUnaligned
		}
	}
	return nil
}

// Superblock layout (block 0, little endian); the rest of the block is zero.
const (
	magic       = "RWBENCH-IMAGE\x00v1"
	offBlkSize  = 16 // uint32 block size
	offNBlocks  = 24 // uint64 total blocks, block 0 included
	offCreated  = 32 // int64 creation time, Unix nanoseconds
	superbEnd   = 40
	magicLength = len(magic)
)

// Superblock is the decoded block 0 of an image.
type Superblock struct {
	BlockSize   uint32
	TotalBlocks uint64 // block 0 included; data blocks are 1..TotalBlocks-1
	Created     time.Time
}

func encodeSuperblock(b []byte, sb Superblock) {
	clear(b[:BlockSize])
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[offBlkSize:], sb.BlockSize)
	binary.LittleEndian.PutUint64(b[offNBlocks:], sb.TotalBlocks)
	binary.LittleEndian.PutUint64(b[offCreated:], uint64(sb.Created.UnixNano()))
}

// hasSignature reports whether b (the start of block 0) carries rwbench's magic.
func hasSignature(b []byte) bool {
	return len(b) >= magicLength && bytes.Equal(b[:magicLength], []byte(magic))
}

// decodeSuperblock decodes block 0; ok is false without the signature.
func decodeSuperblock(b []byte) (sb Superblock, ok bool) {
	if len(b) < superbEnd || !hasSignature(b) {
		return Superblock{}, false
	}
	return Superblock{
		BlockSize:   binary.LittleEndian.Uint32(b[offBlkSize:]),
		TotalBlocks: binary.LittleEndian.Uint64(b[offNBlocks:]),
		Created:     time.Unix(0, int64(binary.LittleEndian.Uint64(b[offCreated:]))),
	}, true
}
