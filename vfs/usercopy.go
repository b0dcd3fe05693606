package vfs

import (
	"fmt"

	"github.com/rwbench/rwbench/blockdev"
)

// ReadToMapping is read(2) of length bytes of file at off into a user buffer
// that is itself a shared mapping: the task's mapping of dstFile at dstOff. As
// in filemap_read, the copy to the user buffer (copy_to_user) happens inside
// the read, under whatever the strategy holds at SiteReadEntry, a page at a time
// after the page is brought uptodate; each page is stored through the mapping
// as FaultWrite stores, so where the destination page is not mapped writable
// the copy faults: mmap_lock, ->fault, ->page_mkwrite. The buffer's pages are
// dropped first (MADV_DONTNEED on the buffer), so every page of the copy-out
// faults. Offsets and length are page aligned; it returns a short count at end
// of file, and the count copied so far with the error of a copy-out that failed
// (a destination truncated under it: EFAULT).
//
// This is the case docs/design.md section 2 is about: a strategy that holds at
// SiteReadEntry a lock that the fault path takes takes it recursively here, and
// takes mmap_lock under it, against the lock order.
func (t *Task) ReadToMapping(file int, off int64, length int, dstFile int, dstOff int64) (int, error) {
	t.opStart()
	defer t.opDone()
	ino, err := t.fs.inode(file)
	if err != nil {
		return 0, err
	}
	dst, err := t.fs.inode(dstFile)
	if err != nil {
		return 0, err
	}
	if off < 0 || off%PageSize != 0 || length < 0 || length%PageSize != 0 {
		return 0, fmt.Errorf("file %d offset %d length %d: %w", file, off, length, ErrAlign)
	}
	if dstOff < 0 || dstOff%PageSize != 0 {
		return 0, fmt.Errorf("buffer file %d offset %d: %w", dstFile, dstOff, ErrAlign)
	}
	dstFirst, pages := uint64(dstOff/PageSize), uint64(length/PageSize)
	if dstFirst+pages > dst.maxPages {
		return 0, fmt.Errorf("buffer file %d offset %d length %d: %w", dstFile, dstOff, length, ErrTooLarge)
	}
	if length == 0 {
		return 0, nil
	}
	v := t.vma(dst) // the buffer is mapped before the read, as by mmap(2)
	for i := range pages {
		t.zap(v, dstFirst+i)
	}
	if t.bounce == nil {
		t.bounce = (*[PageSize]byte)(blockdev.AlignedBuffer(PageSize))
	}
	m, s := &ino.Mapping, t.fs.strategy
	first := min(uint64(off/PageSize), ino.maxPages)
	last := min(uint64((off+int64(length)-1)/PageSize), ino.maxPages-1)
	s.Enter(t, m, SiteReadEntry, first, last)
	done := 0
	for done < length {
		// One page of filemap_read: get it uptodate (t.read takes what the
		// strategy takes per batch, creation and readahead), then copy it out.
		n, rerr := t.read(ino, off+int64(done), t.bounce[:])
		if n > 0 {
			if err = t.storePage(v, dstFirst+uint64(done/PageSize), t.bounce[:n]); err != nil {
				err = fmt.Errorf("copy to the buffer (file %d offset %d): %w", dstFile, dstOff+int64(done), err)
				break
			}
			done += n
		}
		if rerr != nil {
			err = rerr
			break
		}
		if n < PageSize {
			break // end of file
		}
	}
	s.Exit(t, m, SiteReadEntry, first, last)
	if done > 0 && err == nil {
		err = t.balanceDirty() // the copy-out dirtied the buffer's pages
	}
	return done, err
}

// LoadMapped copies len(buf) bytes (page aligned) of file at off from the
// task's mapping of it into buf, faulting pages in as needed but dropping none:
// how a program reads back its mapped buffer.
func (t *Task) LoadMapped(file int, off int64, buf []byte) error {
	t.opStart()
	defer t.opDone()
	ino, err := t.fs.inode(file)
	if err != nil {
		return err
	}
	if off < 0 || off%PageSize != 0 || len(buf)%PageSize != 0 || uint64((off+int64(len(buf)))/PageSize) > ino.maxPages {
		return fmt.Errorf("file %d offset %d length %d: %w", file, off, len(buf), ErrAlign)
	}
	v := t.vma(ino)
	first := uint64(off / PageSize)
	for i := 0; i < len(buf)/PageSize; i++ {
		if err := t.loadPage(v, first+uint64(i), buf[i*PageSize:(i+1)*PageSize]); err != nil {
			return err
		}
	}
	return nil
}
