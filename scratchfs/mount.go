package scratchfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// mkfsArgs are the arguments of fs's mkfs before the device: quiet, and
// overwrite what is there (the device is rwbench's fresh image).
func mkfsArgs(fs string) []string {
	if fs == "ext4" {
		return []string{"-q", "-F"}
	}
	return []string{"-q", "-f"}
}

// mkfsPackage names the Debian/Ubuntu package that has fs's mkfs.
func mkfsPackage(fs string) string {
	switch fs {
	case "xfs":
		return "xfsprogs"
	case "btrfs":
		return "btrfs-progs"
	}
	return "e2fsprogs"
}

// Names are the filesystems rwbench can make.
func Names() []string { return []string{"xfs", "ext4", "btrfs"} }

// mkfsTool is the mkfs command of fs.
func mkfsTool(fs string) string { return "mkfs." + fs }

// mkfs makes an fs filesystem on dev (a loop device or an image file); an
// error carries the last line mkfs printed.
func mkfs(fs, dev string) error {
	tool := mkfsTool(fs)
	cmd := exec.Command(tool, append(mkfsArgs(fs), dev)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %s", tool, firstLine(out.Bytes(), err))
	}
	return nil
}

// firstLine is the first non-empty line of a command's output (mkfs says
// what is wrong first, then its usage), or err when it printed nothing.
func firstLine(out []byte, err error) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			return l
		}
	}
	return err.Error()
}

// mount mounts the fs filesystem on dev at dir.
func mount(fs, dev, dir string) error {
	if err := unix.Mount(dev, dir, fs, 0, ""); err != nil {
		return fmt.Errorf("mount %s on %s: %w", dev, dir, err)
	}
	return nil
}

// unmount unmounts dir if it is mounted, retrying while it is busy (a
// descriptor closing late), then detaching it lazily so that the loop device
// is freed when its last user goes.
func unmount(dir string) error {
	if dir == "" || !mounted(dir) {
		return nil
	}
	var err error
	for i := 0; i < 20; i++ {
		if err = unix.Unmount(dir, 0); err == nil || errors.Is(err, unix.EINVAL) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if lerr := unix.Unmount(dir, unix.MNT_DETACH); lerr != nil {
		return fmt.Errorf("umount %s: %w", dir, err)
	}
	return fmt.Errorf("umount %s: %w (detached lazily)", dir, err)
}

// mounted reports whether dir is a mount point in /proc/self/mounts.
func mounted(dir string) bool {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && unescapeMount(f[1]) == dir {
			return true
		}
	}
	return false
}

// unescapeMount undoes /proc/mounts' octal escapes of space, tab, newline and
// backslash.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}
