package blockdev

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxIovecs is Linux's IOV_MAX (UIO_MAXIOV): preadv/pwritev fail with EINVAL beyond it.
const maxIovecs = 1024

// directStore is a file image or a block device accessed with preadv/pwritev.
type directStore struct {
	// mu guards fd's lifetime only: I/O holds it shared so Close cannot close (and the kernel
	// reuse) the descriptor under an in-flight preadv. An RLock is one atomic add, which is
	// noise next to the syscall.
	mu     sync.RWMutex
	fd     int // -1 once closed
	path   string
	kind   string
	fstype string
	direct bool
	blocks uint64 // data blocks; the store spans blocks 0..blocks
}

func (s *directStore) NumBlocks() uint64 { return s.blocks }
func (s *directStore) Kind() string      { return s.kind }
func (s *directStore) FSType() string    { return s.fstype }

func (s *directStore) ReadBlocks(blk uint64, bufs [][]byte) error {
	return s.transfer("read", preadvFull, blk, bufs)
}

func (s *directStore) WriteBlocks(blk uint64, bufs [][]byte) error {
	return s.transfer("write", pwritevFull, blk, bufs)
}

// transfer checks an I/O of bufs at blk and moves it whole with full
// (preadvFull or pwritevFull); op names it in the error.
func (s *directStore) transfer(op string, full func(fd int, bufs [][]byte, off int64) error, blk uint64, bufs [][]byte) error {
	if err := checkIO(blk, bufs, s.blocks, s.direct); err != nil {
		return err
	}
	return s.withFD(func(fd int) error {
		if err := full(fd, bufs, int64(blk)*BlockSize); err != nil {
			return &IOError{Path: s.path, Op: op, Block: blk, N: len(bufs), Err: err}
		}
		return nil
	})
}

func (s *directStore) Sync() error {
	return s.withFD(func(fd int) error {
		if err := retryEINTR(func() error { return unix.Fdatasync(fd) }); err != nil {
			return fmt.Errorf("blockdev: %s: fdatasync: %w", s.path, err)
		}
		return nil
	})
}

// withFD calls f with the descriptor, holding mu shared so that Close waits
// for it; ErrClosed once the store is closed.
func (s *directStore) withFD(f func(fd int) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fd < 0 {
		return ErrClosed
	}
	return f(s.fd)
}

func (s *directStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return ErrClosed
	}
	// No EINTR retry: on Linux the descriptor is released even when close is interrupted.
	err := unix.Close(s.fd)
	s.fd = -1
	if err != nil {
		return fmt.Errorf("blockdev: %s: close: %w", s.path, err)
	}
	return nil
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

// preadvFull reads all of bufs at off, continuing after short reads and EINTR. A read that
// returns 0 before the end means the image shrank under us.
func preadvFull(fd int, bufs [][]byte, off int64) error {
	return vecFull(unix.Preadv, io.ErrUnexpectedEOF, fd, bufs, off)
}

// pwritevFull writes all of bufs at off, continuing after short writes and EINTR.
func pwritevFull(fd int, bufs [][]byte, off int64) error {
	return vecFull(unix.Pwritev, io.ErrShortWrite, fd, bufs, off)
}

// vecFull transfers all of bufs at off with vec (preadv or pwritev), at most
// maxIovecs buffers a call, continuing after short transfers and EINTR; a call
// that transfers nothing before the end returns stuck.
func vecFull(vec func(fd int, iovs [][]byte, off int64) (int, error), stuck error, fd int, bufs [][]byte, off int64) error {
	for len(bufs) > 0 {
		chunk := bufs[:min(len(bufs), maxIovecs)]
		n, err := vec(fd, chunk, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return stuck
		}
		off += int64(n)
		bufs = advance(bufs, n)
	}
	return nil
}

// advance drops the first n transferred bytes from bufs. It copies the slice header list only
// when a buffer was transferred partially, so the caller's slice is never modified.
func advance(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n > 0 {
		rest := make([][]byte, len(bufs))
		copy(rest, bufs)
		rest[0] = rest[0][n:]
		bufs = rest
	}
	return bufs
}

// zfsMagic is OpenZFS's f_type, which is not in x/sys/unix (ZFS is not in Linux).
const zfsMagic = 0x2fc12fc1

// FSName names a statfs(2) f_type, or returns "" for one it does not know.
func FSName(magic int64) string {
	switch uint32(magic) {
	case unix.EXT4_SUPER_MAGIC: // also ext2 and ext3
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.RAMFS_MAGIC:
		return "ramfs"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case zfsMagic:
		return "zfs"
	case unix.BCACHEFS_SUPER_MAGIC:
		return "bcachefs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.V9FS_MAGIC:
		return "9p"
	case unix.CIFS_SUPER_MAGIC, unix.SMB2_SUPER_MAGIC:
		return "cifs"
	case unix.CEPH_SUPER_MAGIC:
		return "ceph"
	}
	return ""
}

func statfsType(path string) (magic int64, name string, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, "", err
	}
	name = FSName(st.Type)
	if name == "" {
		name = fmt.Sprintf("unknown(0x%x)", uint32(st.Type))
	}
	return st.Type, name, nil
}

func noDirectErr(path, fstype string) error {
	return pathErr(ErrNoDirectIO, path, "%s does not support O_DIRECT; put the image on a disk filesystem or set backend.direct: false", fstype)
}

func openRetry(path string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// CreateFile creates or formats a regular image file of o.Size bytes at o.Path. An existing
// non-empty file is formatted only if it carries rwbench's signature or o.Force is set.
// Formatting truncates the file to zero and reserves o.Size bytes with fallocate (plain
// ftruncate where fallocate is unsupported), so every data block reads as zeros until written.
func CreateFile(o Options) (Store, error) {
	path := o.Path
	if path == "" {
		return nil, &configError{msg: "backend.path is empty; set it to an image file on a disk filesystem", kind: ErrConfig}
	}
	if err := checkSize(path, o.Size); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	existed := err == nil
	statTarget := path
	switch {
	case existed:
		switch m := st.Mode(); {
		case m.IsDir():
			return nil, pathErr(ErrConfig, path, "is a directory; set backend.path to an image file inside it, e.g. %s", filepath.Join(path, "rwbench.img"))
		case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0:
			return nil, pathErr(ErrConfig, path, "is a block device; use it as a block-device backend, not a file image")
		case !m.IsRegular():
			return nil, pathErr(ErrConfig, path, "is not a regular file (%v); choose a path for a new image file", m.Type())
		}
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		dst, derr := os.Stat(dir)
		if derr != nil || !dst.IsDir() {
			return nil, pathErr(ErrConfig, path, "parent directory %s does not exist; create it or choose another backend.path", dir)
		}
		statTarget = dir
	default:
		return nil, pathErr(ErrConfig, path, "%v", err)
	}

	magicNum, fstype, err := statfsType(statTarget)
	if err != nil {
		return nil, pathErr(ErrConfig, path, "statfs %s: %v", statTarget, err)
	}
	// tmpfs (since 6.6) accepts O_DIRECT but still serves it from memory, which defeats the
	// point of bypassing the kernel page cache: refuse it by type, not only on EINVAL.
	if o.Direct && uint32(magicNum) == unix.TMPFS_MAGIC {
		return nil, noDirectErr(path, fstype)
	}

	flags := unix.O_RDWR | unix.O_CREAT | unix.O_CLOEXEC
	if o.Direct {
		flags |= unix.O_DIRECT
	}
	fd, err := openRetry(path, flags, 0o644)
	if err != nil {
		if o.Direct && err == unix.EINVAL {
			// Some kernels create the file before rejecting O_DIRECT: do not leave it behind.
			if !existed {
				_ = unix.Unlink(path)
			}
			return nil, noDirectErr(path, fstype)
		}
		return nil, pathErr(ErrConfig, path, "open: %v", err)
	}
	s := &directStore{fd: fd, path: path, kind: KindFile, fstype: fstype, direct: o.Direct, blocks: uint64(o.Size/BlockSize) - 1}
	fail := func(err error) (Store, error) {
		_ = unix.Close(fd)
		if !existed {
			_ = unix.Unlink(path)
		}
		return nil, err
	}

	if existed {
		signed, err := readSignature(fd, path, fstype, o.Direct)
		if err != nil {
			return fail(err)
		}
		var fst unix.Stat_t
		if err := unix.Fstat(fd, &fst); err != nil {
			return fail(pathErr(ErrConfig, path, "fstat: %v", err))
		}
		if fst.Size > 0 && !signed && !o.Force {
			return fail(pathErr(ErrNotImage, path, "exists and was not formatted by rwbench; refusing to overwrite it (set backend.force: true to format it anyway)"))
		}
	}

	// Truncating first discards old data, so blocks never written read as zeros.
	if err := retryEINTR(func() error { return unix.Ftruncate(fd, 0) }); err != nil {
		return fail(pathErr(ErrConfig, path, "truncate: %v", err))
	}
	err = retryEINTR(func() error { return unix.Fallocate(fd, 0, 0, o.Size) })
	switch err {
	case nil:
	case unix.EOPNOTSUPP, unix.ENOSYS:
		if err := retryEINTR(func() error { return unix.Ftruncate(fd, o.Size) }); err != nil {
			return fail(pathErr(ErrConfig, path, "truncate to %d bytes: %v", o.Size, err))
		}
	case unix.ENOSPC, unix.EDQUOT:
		return fail(pathErr(ErrConfig, path, "cannot reserve %d bytes: %v; free space or choose a smaller backend.size", o.Size, err))
	default:
		return fail(pathErr(ErrConfig, path, "fallocate %d bytes: %v", o.Size, err))
	}
	if err := writeSuperblock(s, uint64(o.Size/BlockSize)); err != nil {
		return fail(err)
	}
	return s, nil
}

// readSignature reports whether the file or device open on fd starts with rwbench's magic.
// It reads a whole aligned block so it works under O_DIRECT; a short read (tiny file) is fine.
func readSignature(fd int, path, fstype string, direct bool) (bool, error) {
	buf := AlignedBuffer(BlockSize)
	var n int
	err := retryEINTR(func() (err error) { n, err = unix.Pread(fd, buf, 0); return err })
	if err != nil {
		if direct && err == unix.EINVAL {
			return false, noDirectErr(path, fstype)
		}
		return false, pathErr(ErrConfig, path, "read block 0: %v", err)
	}
	return hasSignature(buf[:n]), nil
}

// writeSuperblock writes block 0 for an image of total blocks and makes it durable.
func writeSuperblock(s *directStore, total uint64) error {
	buf := AlignedBuffer(BlockSize)
	encodeSuperblock(buf, Superblock{BlockSize: BlockSize, TotalBlocks: total, Created: time.Now()})
	if err := pwritevFull(s.fd, [][]byte{buf}, 0); err != nil {
		if s.direct && err == unix.EINVAL {
			return noDirectErr(s.path, s.fstype)
		}
		return pathErr(ErrConfig, s.path, "write superblock: %v", err)
	}
	if err := retryEINTR(func() error { return unix.Fdatasync(s.fd) }); err != nil {
		return pathErr(ErrConfig, s.path, "fdatasync: %v", err)
	}
	return nil
}

// ReadSuperblock reads block 0 of the image file or device at path. It fails with an error
// matching ErrNotImage when the signature is missing.
func ReadSuperblock(path string) (Superblock, error) {
	f, err := os.Open(path)
	if err != nil {
		return Superblock{}, err
	}
	defer f.Close()
	buf := make([]byte, superbEnd)
	if _, err := io.ReadFull(f, buf); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
		return Superblock{}, fmt.Errorf("blockdev: %s: read superblock: %w", path, err)
	}
	sb, ok := decodeSuperblock(buf)
	if !ok {
		return Superblock{}, pathErr(ErrNotImage, path, "was not formatted by rwbench")
	}
	return sb, nil
}

// Remove deletes the image file at path, but only if it is a regular file carrying rwbench's
// signature: a mistyped path must not delete a user's file.
func Remove(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return pathErr(ErrNotImage, path, "is not a regular file; not removing it")
	}
	if _, err := ReadSuperblock(path); err != nil {
		if errors.Is(err, ErrNotImage) {
			return pathErr(ErrNotImage, path, "was not formatted by rwbench; not removing it")
		}
		return err
	}
	return os.Remove(path)
}

// Open opens o.Path as a block device if it is one, and as an image file otherwise (creating
// it if needed). It is the convenience the CLI uses for backend.path.
func Open(o Options) (Store, error) {
	if st, err := os.Stat(o.Path); err == nil && st.Mode()&fs.ModeDevice != 0 && st.Mode()&fs.ModeCharDevice == 0 {
		return OpenBlockDevice(o)
	}
	return CreateFile(o)
}

// submitRing queues an I/O of bufs at blk on r, issuing it with issue, and
// returns; done runs with its result, as transfer's, when it completes. The
// descriptor is held open (mu shared) until then.
func (s *directStore) submitRing(r *ring, write bool, blk uint64, bufs [][]byte, issue bool, done func(error)) {
	if err := checkIO(blk, bufs, s.blocks, s.direct); err != nil {
		done(err)
		return
	}
	s.mu.RLock()
	if s.fd < 0 {
		s.mu.RUnlock()
		done(ErrClosed)
		return
	}
	op := "read"
	if write {
		op = "write"
	}
	r.submit(write, s.fd, int64(blk)*BlockSize, bufs, issue, func(n int, errno unix.Errno) {
		s.mu.RUnlock()
		if err := ringResult(write, n, errno); err != nil {
			done(&IOError{Path: s.path, Op: op, Block: blk, N: len(bufs), Err: err})
			return
		}
		done(nil)
	})
}
