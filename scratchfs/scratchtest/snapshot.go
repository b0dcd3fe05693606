// Package scratchtest is for tests of what package scratchfs leaves on the
// host: a snapshot of the mounts, loop devices, memory cgroups, dirty
// sysctls and state files a scratch filesystem touches, to compare before and
// after a run.
package scratchtest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/scratchfs"
	"golang.org/x/sys/unix"
)

// NeedRoot skips the test unless it runs as root with mkfs for every
// filesystem in fss, and then makes it Exclusive.
func NeedRoot(t testing.TB, fss ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loop devices, mount, memory cgroups and vm sysctls")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("needs loop devices: no /dev/loop-control")
	}
	for _, fs := range fss {
		if _, err := scratchfs.HostEnv().LookPath("mkfs." + fs); err != nil {
			t.Skipf("needs mkfs.%s", fs)
		}
	}
	Exclusive(t)
}

// Exclusive makes the calling test the only one on the host that sets up
// real filesystems until it ends, so that tests of several packages, run at
// once, do not see each other's mounts and sysctls in their snapshots. It is
// not the lock the setups take (a test holds it while the binary it runs sets
// up).
func Exclusive(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "rwbench-realfs-tests.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// Snapshot lists what a scratch filesystem with its image in dir and its
// state in stateDir could leave: mounts of rwbench's mount points or of a
// loop device over an image in dir, loop devices over an image in dir,
// rwbench's memory cgroups, the dirty sysctls, state files, and files in dir.
// Other processes' mounts and loop devices are not in it, so that the
// comparison holds on a shared machine.
func Snapshot(t testing.TB, dir, stateDir string) []string {
	t.Helper()
	var out []string
	loops := map[string]string{}
	devs, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, f := range devs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // detached meanwhile
		}
		dev := "/dev/" + filepath.Base(filepath.Dir(filepath.Dir(f)))
		if img := strings.TrimSpace(string(b)); strings.HasPrefix(img, dir+"/") {
			loops[dev] = img
			out = append(out, "loop "+dev+" "+img)
		}
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		if loops[f[0]] != "" || strings.HasPrefix(filepath.Base(f[1]), "rwbench-mnt-") {
			out = append(out, "mount "+l)
		}
	}
	tmp, _ := filepath.Glob(filepath.Join(os.TempDir(), "rwbench-mnt-*"))
	for _, d := range tmp {
		out = append(out, "mount point "+d)
	}
	if parent, err := scratchfs.CgroupParent(); err == nil {
		cgs, _ := filepath.Glob(filepath.Join(parent, "rwbench-*"))
		for _, d := range cgs {
			out = append(out, "cgroup "+d)
		}
	}
	for _, s := range []string{"dirty_bytes", "dirty_background_bytes", "dirty_ratio", "dirty_background_ratio"} {
		b, err := os.ReadFile("/proc/sys/vm/" + s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("vm.%s=%s", s, strings.TrimSpace(string(b))))
	}
	for _, d := range []string{dir, stateDir} {
		es, _ := os.ReadDir(d)
		for _, e := range es {
			if d == stateDir && e.Name() == scratchfs.LockName {
				continue // made once, kept: the lock every setup takes
			}
			out = append(out, "file "+filepath.Join(d, e.Name()))
		}
	}
	slices.Sort(out)
	return out
}

// Same fails the test when after differs from before, listing the difference.
func Same(t testing.TB, before, after []string) {
	t.Helper()
	if slices.Equal(before, after) {
		return
	}
	for _, s := range after {
		if !slices.Contains(before, s) {
			t.Errorf("left behind: %s", s)
		}
	}
	for _, s := range before {
		if !slices.Contains(after, s) {
			t.Errorf("gone or changed: %s", s)
		}
	}
}
