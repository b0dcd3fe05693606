package scratchfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// raSetting is the readahead window rwbench set on the filesystem's
// backing_dev_info, with what it replaced. A file takes its window from the
// bdi when it is opened (file_ra_state_init), so it is set before the files
// are made. A loop device's bdi gets 2560KiB from its queue limits (twice
// the 1280KiB io_opt) where the model's default is 128KiB: left alone, a
// sequential reader on the real filesystem reads ahead twenty times as far
// as the model's.
type raSetting struct {
	Path  string `json:"path"` // the bdi's read_ahead_kb
	Old   int64  `json:"old"`  // KiB
	Value int64  `json:"value"`
}

// bdiReadahead is the read_ahead_kb of the bdi whose files a filesystem of
// type fs on loop device dev read ahead by: the loop device's queue, or for
// btrfs, which registers a bdi of its own, that one.
func bdiReadahead(fs, dev string) (string, error) {
	name := strings.TrimPrefix(dev, "/dev/")
	if fs != "btrfs" {
		return filepath.Join("/sys/block", name, "queue", "read_ahead_kb"), nil
	}
	devs, err := filepath.Glob(filepath.Join("/sys/fs/btrfs", "*", "devices", name))
	if err != nil || len(devs) != 1 {
		return "", fmt.Errorf("no btrfs in /sys/fs/btrfs has %s as its device", dev)
	}
	return filepath.Join(filepath.Dir(filepath.Dir(devs[0])), "bdi", "read_ahead_kb"), nil
}

// setReadahead sets the filesystem's readahead window to the model's
// (Options.ReadaheadBytes), best effort like the dirty thresholds.
func (fs *FS) setReadahead() {
	if fs.o.ReadaheadBytes <= 0 {
		return
	}
	path, err := bdiReadahead(fs.o.FS, fs.st.Loop)
	if err != nil {
		fs.could("read_ahead_kb", err)
		return
	}
	s := raSetting{Path: path, Value: (fs.o.ReadaheadBytes + 1023) >> 10}
	if s.Old, err = readInt(path); err != nil {
		fs.could("read_ahead_kb", err)
		return
	}
	// Recorded before it is written, so that a kill between the two still
	// restores it.
	fs.st.Readahead = &s
	if err := fs.st.save(); err != nil {
		fs.st.Readahead = nil
		fs.could("read_ahead_kb", err)
		return
	}
	if err := writeInt(path, s.Value); err != nil {
		fs.could("read_ahead_kb", err)
		return
	}
	fs.conds = append(fs.conds, fmt.Sprintf("readahead window %dKiB, the model's cache.readahead (bdi read_ahead_kb; was %d)", s.Value, s.Old))
}

// restore writes the old window back while the loop device is still
// attached to image, rwbench's (the bdi goes with the filesystem or the
// device; a free loop device's window is reset when it is next attached). A
// value someone else set since is theirs and is left.
func (s *raSetting) restore(loop, image string) error {
	if s == nil || backingFile(loop) != image {
		return nil
	}
	cur, err := readInt(s.Path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && cur != s.Value) {
		return nil
	}
	if err != nil {
		return err
	}
	return writeInt(s.Path, s.Old)
}
