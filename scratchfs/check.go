package scratchfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// Env is what Check asks of the host; tests replace it to act as another user.
type Env struct {
	Euid     func() int
	LookPath func(file string) (string, error)
}

// HostEnv is the host as it is.
func HostEnv() Env { return Env{Euid: os.Geteuid, LookPath: exec.LookPath} }

// orKernel is the alternative every refusal offers.
const orKernel = "or use the kernel target on a mounted directory (-set strategies=kernel -set backend.path=DIR/image)"

// Check reports, as one line, what would stop a setup of o before anything is
// made: not root, no mkfs, no loop devices, an image directory on tmpfs, an
// image mkfs refuses (tried on a sparse trial image, removed afterwards).
// sizeKey names the config key of the image size in the message.
func Check(o Options, env Env, sizeKey string) error {
	if env.Euid() != 0 {
		return fmt.Errorf("target %s needs root (loop device, mkfs, mount, memory cgroup, vm.dirty_* sysctls): run rwbench as root, %s", o.FS, orKernel)
	}
	tool := mkfsTool(o.FS)
	if _, err := env.LookPath(tool); err != nil {
		return fmt.Errorf("target %s: %s not found in PATH: install %s (apt-get install %s), %s", o.FS, tool, mkfsPackage(o.FS), mkfsPackage(o.FS), orKernel)
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return fmt.Errorf("target %s: no /dev/loop-control: load the loop module (modprobe loop), %s", o.FS, orKernel)
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(o.Dir, &sfs); err != nil {
		return fmt.Errorf("target %s: %s: %w", o.FS, o.Dir, err)
	}
	if sfs.Type == unix.TMPFS_MAGIC {
		return fmt.Errorf("target %s: the image would go in %s, which is on tmpfs: its blocks would be memory beside the page cache under test; set backend.path to a file on a disk filesystem", o.FS, o.Dir)
	}
	img, err := os.CreateTemp(o.Dir, "rwbench-check-*.img")
	if err != nil {
		return fmt.Errorf("target %s: %w", o.FS, err)
	}
	defer os.Remove(img.Name())
	if err := errors.Join(img.Truncate(o.ImageSize), img.Close()); err != nil {
		return fmt.Errorf("target %s: %s %d bytes: %w", o.FS, sizeKey, o.ImageSize, err)
	}
	if err := mkfs(o.FS, img.Name()); err != nil {
		return fmt.Errorf("%s (%d bytes) does not take a %s filesystem: %w", sizeKey, o.ImageSize, o.FS, err)
	}
	return nil
}
