package ktrace

import (
	"fmt"
	"os"
	"syscall"
)

// mountTracefs mounts tracefs at a new private temporary directory.
func mountTracefs() (string, error) {
	dir, err := os.MkdirTemp("", "rwbench-tracefs-")
	if err != nil {
		return "", err
	}
	if err := syscall.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("mounting tracefs at %s: %w", dir, err)
	}
	return dir, nil
}

// unmountTracefs undoes mountTracefs.
func unmountTracefs(dir string) error {
	if err := syscall.Unmount(dir, 0); err != nil {
		return fmt.Errorf("unmounting tracefs at %s: %w", dir, err)
	}
	return os.Remove(dir)
}
