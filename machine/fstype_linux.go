package machine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// detectFS names the storage at path: "memory" for no path, "blockdev" for a block
// device, else the filesystem type from statfs(2) of the file or, when it does not
// exist yet, of the nearest existing parent directory; "unknown" when that fails or
// the filesystem is not one fsName knows.
func detectFS(path string) string {
	if path == "" {
		return "memory"
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode()&fs.ModeDevice != 0 && fi.Mode()&fs.ModeCharDevice == 0 {
		return "blockdev"
	}
	p := path
	for {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		if err == nil {
			return fsName(int64(st.Type))
		}
		if !errors.Is(err, unix.ENOENT) {
			return "unknown"
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "unknown"
		}
		p = parent
	}
}

// zfsMagic is OpenZFS's f_type, which is not in x/sys/unix (ZFS is not in Linux).
const zfsMagic = 0x2fc12fc1

// fsName maps a statfs f_type to the filesystem's name.
func fsName(magic int64) string {
	switch magic {
	case unix.EXT4_SUPER_MAGIC: // also ext2 and ext3
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case zfsMagic:
		return "zfs"
	case unix.BCACHEFS_SUPER_MAGIC:
		return "bcachefs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	}
	return "unknown"
}
