package machine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rwbench/rwbench/blockdev"
	"golang.org/x/sys/unix"
)

// detectFS names the storage at path: "memory" for no path, "blockdev" for a block
// device, else the filesystem type from statfs(2) of the file or, when it does not
// exist yet, of the nearest existing parent directory; "unknown" when that fails or
// the filesystem is not one blockdev.FSName knows.
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
			if name := blockdev.FSName(int64(st.Type)); name != "" {
				return name
			}
			return "unknown"
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
