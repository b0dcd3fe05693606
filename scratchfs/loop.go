package scratchfs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Flags of struct loop_info64 (linux/loop.h); golang.org/x/sys does not name them.
const (
	loFlagsAutoclear = 4  // detach when the last opener closes
	loFlagsDirectIO  = 16 // the loop device reads and writes its image with O_DIRECT
)

// loop is a loop device rwbench attached to its image.
type loop struct {
	dev string   // /dev/loopN
	f   *os.File // held open until the filesystem is mounted (autoclear)
}

// attachLoop attaches image to a free loop device with direct I/O on, so that
// the host's page cache does not cache the image under the filesystem's own
// cache. The device is set to autoclear: once rwbench's descriptor is closed it
// detaches when its last user goes (the mount, or a killed process's open
// descriptor). It returns whether direct I/O is on.
func attachLoop(image string) (*loop, bool, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return nil, false, err
	}
	defer ctl.Close()
	img, err := os.OpenFile(image, os.O_RDWR, 0)
	if err != nil {
		return nil, false, err
	}
	defer img.Close()
	// Another process may take the free device between GET_FREE and
	// CONFIGURE (EBUSY): ask again.
	for try := 0; ; try++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, false, fmt.Errorf("/dev/loop-control: LOOP_CTL_GET_FREE: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		f, err := openLoop(dev)
		if err != nil {
			return nil, false, err
		}
		cfg := unix.LoopConfig{Fd: uint32(img.Fd()), Size: 4096}
		cfg.Info.Flags = loFlagsAutoclear | loFlagsDirectIO
		copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], image)
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if errors.Is(err, unix.EBUSY) && try < 10 {
			f.Close()
			continue
		}
		if err != nil {
			f.Close()
			return nil, false, fmt.Errorf("%s: LOOP_CONFIGURE: %w", dev, err)
		}
		l := &loop{dev: dev, f: f}
		if !l.directIO() {
			// The kernel may take the configuration but not direct I/O (a
			// block size it cannot align): ask once more, alone.
			_ = unix.IoctlSetInt(int(f.Fd()), unix.LOOP_SET_DIRECT_IO, 1)
		}
		return l, l.directIO(), nil
	}
}

// openLoop opens a loop device node, waiting briefly for udev to create it
// after LOOP_CTL_GET_FREE added a new one.
func openLoop(dev string) (*os.File, error) {
	for i := 0; ; i++ {
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err == nil || !errors.Is(err, os.ErrNotExist) || i == 50 {
			return f, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// directIO reports whether the kernel does direct I/O on the device's image.
func (l *loop) directIO() bool {
	b, err := os.ReadFile(sysLoop(l.dev, "dio"))
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// release closes rwbench's descriptor: from then on the device detaches
// itself when the filesystem on it is unmounted.
func (l *loop) release() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// sysLoop is the sysfs attribute of a loop device (/sys/block/loopN/loop/ATTR).
func sysLoop(dev, attr string) string {
	return "/sys/block/" + strings.TrimPrefix(dev, "/dev/") + "/loop/" + attr
}

// backingFile is the image a loop device is attached to, "" when it is free.
func backingFile(dev string) string {
	b, err := os.ReadFile(sysLoop(dev, "backing_file"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSpace(string(b)), " (deleted)")
}

// detachLoop detaches dev if it is still attached to image (autoclear
// normally did it at the unmount); a device attached to anything else is not
// rwbench's and is left alone.
func detachLoop(dev, image string) error {
	if dev == "" || backingFile(dev) != image {
		return nil
	}
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// The device may still be busy for a moment after the unmount.
	for i := 0; ; i++ {
		err := unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0)
		if err == nil || errors.Is(err, unix.ENXIO) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || i == 20 {
			return fmt.Errorf("%s: LOOP_CLR_FD: %w", dev, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
