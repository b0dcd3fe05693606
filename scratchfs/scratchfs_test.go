package scratchfs_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/scratchfs/scratchtest"
	"golang.org/x/sys/unix"
)

func options(t *testing.T, fs string) scratchfs.Options {
	return scratchfs.Options{FS: fs, Dir: t.TempDir(), ImageSize: 512 << 20, CacheBytes: 64 << 20,
		DirtyBackgroundBytes: 6 << 20, DirtyLimitBytes: 12 << 20, ReadaheadBytes: 128 << 10, StateDir: t.TempDir()}
}

// A setup mounts a filesystem of the asked type with the conditions set, and
// Close leaves nothing behind.
func TestSetupClose(t *testing.T) {
	for _, name := range scratchfs.Names() {
		t.Run(name, func(t *testing.T) {
			scratchtest.NeedRoot(t, name)
			o := options(t, name)
			before := scratchtest.Snapshot(t, o.Dir, o.StateDir)
			fs, err := scratchfs.Setup(o)
			if err != nil {
				t.Fatal(err)
			}
			var st unix.Statfs_t
			if err := unix.Statfs(fs.Dir(), &st); err != nil {
				t.Error(err)
			}
			want := map[string]int64{"xfs": unix.XFS_SUPER_MAGIC, "ext4": unix.EXT4_SUPER_MAGIC, "btrfs": unix.BTRFS_SUPER_MAGIC}[name]
			if st.Type != want {
				t.Errorf("mounted filesystem type %#x, want %#x", st.Type, want)
			}
			if err := os.WriteFile(filepath.Join(fs.Dir(), "f"), []byte("x"), 0o600); err != nil {
				t.Error(err)
			}
			fs.Bound()
			conds := strings.Join(fs.Conditions(), "\n")
			t.Log(conds)
			for _, w := range []string{"direct I/O on", "memory cgroup v", "vm.dirty_bytes=12582912", "vm.dirty_background_bytes=6291456", "limit", "readahead window 128KiB"} {
				if !strings.Contains(conds, w) {
					t.Errorf("conditions lack %q:\n%s", w, conds)
				}
			}
			if strings.Contains(conds, "could not") {
				t.Errorf("conditions:\n%s", conds)
			}
			if kb, ok := deviceReadahead(t, fs.Dir()); ok && kb != 128 {
				t.Errorf("the filesystem's device reads ahead %dKiB, want 128KiB", kb)
			}
			if got := scratchtest.Snapshot(t, o.Dir, o.StateDir); len(got) <= len(before) {
				t.Errorf("nothing set up: %v", got)
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			scratchtest.Same(t, before, scratchtest.Snapshot(t, o.Dir, o.StateDir))
		})
	}
}

// A setup that fails (mkfs refuses the image) undoes what it made.
func TestSetupFails(t *testing.T) {
	scratchtest.NeedRoot(t, "xfs")
	o := options(t, "xfs")
	o.ImageSize = 16 << 20
	before := scratchtest.Snapshot(t, o.Dir, o.StateDir)
	if _, err := scratchfs.Setup(o); err == nil || !strings.Contains(err.Error(), "mkfs.xfs") {
		t.Fatalf("Setup with a 16MiB image: %v, want mkfs.xfs's refusal", err)
	}
	scratchtest.Same(t, before, scratchtest.Snapshot(t, o.Dir, o.StateDir))
}

// deadPID is the PID of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// What a process that died left (its state file names a dead PID) is removed
// by the next setup's sweep, sysctls included; a live process's is not.
func TestSweepDeadLeftovers(t *testing.T) {
	scratchtest.NeedRoot(t, "ext4")
	o := options(t, "ext4")
	before := scratchtest.Snapshot(t, o.Dir, o.StateDir)
	oldRatio, err := os.ReadFile("/proc/sys/vm/dirty_ratio")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := scratchfs.Setup(o)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	// Make it the leftovers of a dead process: the state file names a dead
	// PID, and this process leaves the cgroup as its death would.
	files, _ := filepath.Glob(filepath.Join(o.StateDir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("state files %v, want one", files)
	}
	live, err := scratchfs.Sweep(o.StateDir)
	if err != nil || len(live) != 0 {
		t.Fatalf("Sweep of a live process's setup: %v, %v; want nothing done", live, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	st["pid"] = deadPID(t)
	b, _ = json.Marshal(st)
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	leaveCgroup(t, st["cgroup"].(string))
	// Someone else has set vm.dirty_bytes since: the sweep leaves their value.
	const theirs = "33554432"
	writeSysctl(t, "dirty_bytes", theirs)
	defer writeSysctl(t, "dirty_ratio", strings.TrimSpace(string(oldRatio)))
	done, err := scratchfs.Sweep(o.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 || !strings.Contains(done[0], "restore vm.dirty_bytes: it is 33554432, not the 12582912 rwbench set") ||
		!strings.Contains(done[1], "removed the leftovers of rwbench pid") {
		t.Errorf("Sweep: %q, want a note on vm.dirty_bytes and a line for the dead process", done)
	}
	if b, _ := os.ReadFile("/proc/sys/vm/dirty_bytes"); strings.TrimSpace(string(b)) != theirs {
		t.Errorf("vm.dirty_bytes %s after the sweep, want the other setter's %s", b, theirs)
	}
	// The loop device's readahead window is what it was before the setup
	// (the sweep restores it while the device is rwbench's; the kernel also
	// resets it when the device is detached).
	ra, _ := st["readahead"].(map[string]any)
	if ra == nil {
		t.Fatalf("state file without the readahead window: %s", b)
	}
	if b, err := os.ReadFile(ra["path"].(string)); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(ra["old"]) {
		t.Errorf("%s after the sweep: %q, %v; want the %v it was", ra["path"], b, err, ra["old"])
	}
	writeSysctl(t, "dirty_ratio", strings.TrimSpace(string(oldRatio)))
	scratchtest.Same(t, before, scratchtest.Snapshot(t, o.Dir, o.StateDir))
}

func writeSysctl(t *testing.T, name, v string) {
	if err := os.WriteFile("/proc/sys/vm/"+name, []byte(v), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leaveCgroup moves this process from cg to its parent, as its death would
// empty cg.
func leaveCgroup(t *testing.T, cg string) {
	f, err := os.OpenFile(filepath.Join(filepath.Dir(cg), "cgroup.procs"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strconv.Itoa(os.Getpid())); err != nil {
		t.Fatal(err)
	}
}

// Check refuses, in one line naming the problem, what a setup cannot do, and
// leaves nothing behind.
func TestCheck(t *testing.T) {
	scratchtest.NeedRoot(t, "xfs")
	tmpfs := t.TempDir()
	if err := unix.Mount("tmpfs", tmpfs, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(tmpfs, 0) })
	noMkfs := func(string) (string, error) { return "", exec.ErrNotFound }
	cases := []struct {
		name string
		edit func(*scratchfs.Options, *scratchfs.Env)
		want string
	}{
		{"not root", func(_ *scratchfs.Options, e *scratchfs.Env) { e.Euid = func() int { return 1000 } }, "target xfs needs root"},
		{"no mkfs", func(_ *scratchfs.Options, e *scratchfs.Env) { e.LookPath = noMkfs }, "mkfs.xfs not found in PATH: install xfsprogs"},
		{"btrfs without mkfs", func(o *scratchfs.Options, e *scratchfs.Env) { o.FS, e.LookPath = "btrfs", noMkfs }, "install btrfs-progs"},
		{"tmpfs", func(o *scratchfs.Options, _ *scratchfs.Env) { o.Dir = tmpfs }, "on tmpfs"},
		{"image too small", func(o *scratchfs.Options, _ *scratchfs.Env) { o.ImageSize = 16 << 20 }, "realfs.image_size (16777216 bytes) does not take a xfs filesystem: mkfs.xfs:"},
		{"fits", func(*scratchfs.Options, *scratchfs.Env) {}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, env := options(t, "xfs"), scratchfs.HostEnv()
			c.edit(&o, &env)
			before := scratchtest.Snapshot(t, o.Dir, o.StateDir)
			err := scratchfs.Check(o, env, "realfs.image_size")
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Check: %v, want %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("Check: %q is not one line", err)
			}
			scratchtest.Same(t, before, scratchtest.Snapshot(t, o.Dir, o.StateDir))
		})
	}
}

// deviceReadahead is the readahead window of the block device a mount is on,
// false for a filesystem (btrfs) whose st_dev is not its device.
func deviceReadahead(t *testing.T, dir string) (int64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("/sys/dev/block", strconv.Itoa(int(unix.Major(st.Dev)))+":"+strconv.Itoa(int(unix.Minor(st.Dev))), "queue", "read_ahead_kb"))
	if err != nil {
		return 0, false
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return kb, true
}
