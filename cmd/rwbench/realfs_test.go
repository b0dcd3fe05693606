package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/scratchfs/scratchtest"
	"golang.org/x/sys/unix"
)

// realTiny is the tiny workload on the three real filesystems.
func realTiny(t *testing.T) string {
	s := edit(t, tiny, "strategies: [none, invalidate]", "strategies: [xfs, ext4, btrfs]")
	s = edit(t, s, "size: 512KiB", "size: 16MiB")
	s = edit(t, s, "size: 4MiB", "size: 64MiB")
	return edit(t, s, "repeat: 2", "repeat: 1")
}

// binRun runs the built binary in work with TMPDIR=tmp, under ctx.
type binRun struct {
	bin, work, tmp string
	env            []string
	cred           *syscall.Credential
}

func (b binRun) start(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Dir = b.work
	cmd.Env = append(append(os.Environ(), "TMPDIR="+b.tmp), b.env...)
	if b.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: b.cred}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

func (b binRun) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd, stderr := b.start(ctx, args...)
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// newBinRun makes the work and temporary directories, open to every user (a
// case runs the binary as nobody; t.TempDir's parent is not open).
func newBinRun(t *testing.T, bin string) binRun {
	return binRun{bin: bin, work: openDir(t), tmp: openDir(t)}
}

// openDir is a temporary directory every user may write in, removed at the
// test's end.
func openDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "rwbench-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o1777); err != nil {
		t.Fatal(err)
	}
	return d
}

func writeConfig(t *testing.T, dir, body string) string {
	p := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// After a successful run, a failed one, and one ended by SIGINT, SIGTERM or
// SIGKILL (then by the next run's sweep), no mount, loop device, cgroup,
// changed sysctl, state file or image is left.
func TestRealFSTeardown(t *testing.T) {
	scratchtest.NeedRoot(t, scratchfs.Names()...)
	bin := buildBinary(t)
	b := newBinRun(t, bin)
	cfg := writeConfig(t, b.work, realTiny(t))
	out := filepath.Join(b.work, "out.json")
	snap := func() []string { return scratchtest.Snapshot(t, b.tmp, scratchfs.StateDir) }

	t.Run("success", func(t *testing.T) {
		before := snap()
		if code, stderr := b.run(t, "run", "-q", "-o", out, cfg); code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		scratchtest.Same(t, before, snap())
		if left, _ := filepath.Glob("/sys/kernel/tracing/instances/rwbench-*"); len(left) > 0 {
			t.Errorf("tracefs instances left behind: %v", left)
		}
		f, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Results {
			if c.Target != "realfs" || len(c.Runs) != 1 {
				t.Fatalf("cell %s: target %q, %d runs", c.Strategy, c.Target, len(c.Runs))
			}
			r := c.Runs[0]
			conds := strings.Join(r.Conditions, "; ")
			for _, w := range []string{c.Strategy + " on a loop device", "direct I/O on", "vm.dirty_bytes=3354624", "limit"} {
				if !strings.Contains(conds, w) {
					t.Errorf("%s: conditions lack %q: %s", c.Strategy, w, conds)
				}
			}
			// The kernel's lock waits were traced over the window where this
			// kernel has the tracepoints (a tiny run may see no contention).
			if _, err := os.Stat("/sys/kernel/tracing/events/lock/contention_begin"); err == nil && strings.Contains(conds, "could not trace") {
				t.Errorf("%s: the kernel trace did not run: %s", c.Strategy, conds)
			}
			// The oracle checked every read; the kernel returns no stale or
			// foreign data, and the after-run check found every page right.
			if r.Verify.Stale != 0 || r.Verify.Foreign != 0 || !r.Fsck.Ok || r.Ops["read"].Count == 0 {
				t.Errorf("%s: verify %+v, fsck %+v, reads %d", c.Strategy, r.Verify, r.Fsck, r.Ops["read"].Count)
			}
		}
	})
	t.Run("failed", func(t *testing.T) {
		// The file does not fit the filesystem: the prefill fails with ENOSPC
		// after the setup.
		s := edit(t, realTiny(t), "strategies: [xfs, ext4, btrfs]", "strategies: [xfs]")
		s = edit(t, edit(t, s, "count: 2", "count: 1"), "  size: 1MiB", "  size: 316MiB")
		s = edit(t, s, "size: 64MiB", "size: 400MiB") + "realfs: {image_size: 320MiB}\n"
		before := snap()
		code, stderr := b.run(t, "run", "-q", "-o", out, writeConfig(t, t.TempDir(), s))
		if code != exitFail || !strings.Contains(stderr, "no space left") {
			t.Errorf("exit %d, want %d with ENOSPC:\n%s", code, exitFail, stderr)
		}
		scratchtest.Same(t, before, snap())
	})
	long := edit(t, realTiny(t), "duration: 300ms", "duration: 5s")
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			before := snap()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd, stderr := b.start(ctx, "run", "-q", "-o", out, writeConfig(t, t.TempDir(), long))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitMounted(t, b.tmp)
			time.Sleep(500 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			if code, want := cmd.ProcessState.ExitCode(), 128+int(sig.(syscall.Signal)); code != want {
				t.Errorf("exit %d, want %d:\n%s", code, want, stderr)
			}
			scratchtest.Same(t, before, snap())
		})
	}
	t.Run("killed", func(t *testing.T) {
		before := snap()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd, _ := b.start(ctx, "run", "-q", "-o", out, writeConfig(t, t.TempDir(), long))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitMounted(t, b.tmp)
		cmd.Process.Kill()
		cmd.Wait()
		if left := snap(); len(left) <= len(before) {
			t.Fatalf("SIGKILL left nothing to sweep: %v", left)
		}
		// The next run finds the dead process's state and removes it all, and
		// says so in its conditions.
		s := edit(t, realTiny(t), "strategies: [xfs, ext4, btrfs]", "strategies: [ext4]")
		if code, stderr := b.run(t, "run", "-q", "-o", out, writeConfig(t, t.TempDir(), s)); code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		// The killed run's temporary directory (the model's, not a setup's) is
		// not a setup's and stays: rwbench does not guess.
		after := snap()
		for _, l := range after {
			if strings.HasPrefix(l, "file "+b.tmp+"/rwbench-") && !strings.Contains(l, "rwbench-mnt-") {
				os.RemoveAll(strings.TrimPrefix(l, "file "))
			}
		}
		scratchtest.Same(t, before, snap())
		f, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if c := strings.Join(f.Results[0].Runs[0].Conditions, "; "); !strings.Contains(c, "removed the leftovers of rwbench pid") {
			t.Errorf("conditions do not say the leftovers were removed: %s", c)
		}
	})
}

// waitMounted waits until a run has mounted its filesystem under tmp.
func waitMounted(t *testing.T, tmp string) {
	t.Helper()
	for range 600 {
		if b, _ := os.ReadFile("/proc/self/mounts"); strings.Contains(string(b), tmp+"/rwbench-mnt-") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no filesystem mounted in 30 s")
}

// Bad input for the real-filesystem targets: one line naming the problem,
// exit 2, nothing left behind.
func TestRealFSBadInput(t *testing.T) {
	scratchtest.NeedRoot(t, "xfs")
	bin := buildBinary(t)
	// The binary in a directory nobody may enter too.
	open := filepath.Join(openDir(t), "rwbench")
	if b, err := os.ReadFile(bin); err != nil || os.WriteFile(open, b, 0o755) != nil {
		t.Fatal("copying the binary")
	}
	bin = open
	tmpfs := t.TempDir()
	if err := unix.Mount("tmpfs", tmpfs, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(tmpfs, 0) })
	xfs := func(t *testing.T) string {
		return edit(t, realTiny(t), "strategies: [xfs, ext4, btrfs]", "strategies: [xfs]")
	}
	cases := []struct {
		name   string
		config func(*testing.T) string
		args   []string
		as     func(*binRun)
		want   string
	}{
		{"not root", xfs, nil, func(b *binRun) { b.cred = &syscall.Credential{Uid: 65534, Gid: 65534} },
			"rwbench: target xfs needs root"},
		{"mkfs missing", realTiny, nil, func(b *binRun) { b.env = []string{"PATH=/nonexistent"} },
			"rwbench: target xfs: mkfs.xfs not found in PATH: install xfsprogs"},
		{"backend on tmpfs", func(t *testing.T) string {
			return edit(t, edit(t, xfs(t), "kind: memory", "kind: file"), "size: 64MiB", "size: 64MiB\n  path: "+tmpfs+"/img\n  direct: false")
		}, nil, nil, "which is on tmpfs"},
		{"unsupported filesystem", func(t *testing.T) string {
			return edit(t, realTiny(t), "[xfs, ext4, btrfs]", "[xfs, zfs]")
		}, nil, nil, `strategies[1]: unknown strategy "zfs"`},
		{"image too small", xfs, []string{"-set", "realfs.image_size=64MiB"}, nil,
			"rwbench: realfs.image_size (67108864 bytes) does not take a xfs filesystem: mkfs.xfs:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBinRun(t, bin)
			if c.as != nil {
				c.as(&b)
			}
			before := scratchtest.Snapshot(t, b.tmp, scratchfs.StateDir)
			args := append(append([]string{"run", "-q"}, c.args...), writeConfig(t, b.work, c.config(t)))
			code, stderr := b.run(t, args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, exitUsage, c.want)
			}
			scratchtest.Same(t, before, scratchtest.Snapshot(t, b.tmp, scratchfs.StateDir))
			if es, _ := os.ReadDir(b.work); len(es) != 1 {
				t.Errorf("work directory: %v, want the config only", es)
			}
		})
	}
}
