package ktrace

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rootOrSkip skips the test unless it runs as root on a kernel with tracefs.
func rootOrSkip(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("tracing the kernel needs root")
	}
	if b, err := os.ReadFile("/proc/filesystems"); err != nil || !strings.Contains(string(b), "\ttracefs\n") {
		t.Skipf("the kernel has no tracefs (%v)", err)
	}
}

// mounts is /proc/mounts, to compare before and after.
func mounts(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSessionTracesContention makes a real i_rwsem contention (four threads
// writing one file, each write holding the inode's i_rwsem exclusive), traces
// it, and checks that the report has it and that no instance is left behind.
func TestSessionTracesContention(t *testing.T) {
	rootOrSkip(t)
	before := mounts(t)
	s, err := Start(Options{TGID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if s.inst == nil {
		r, _ := s.Stop()
		t.Skipf("nothing could be traced: %s", strings.Join(r.Unavailable, "; "))
	}
	inst := s.inst.dir
	if _, err := os.Stat(inst); err != nil {
		t.Errorf("no instance while tracing: %v", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var wg sync.WaitGroup
	deadline := time.Now().Add(500 * time.Millisecond)
	for range 4 {
		wg.Go(func() {
			runtime.LockOSThread()
			for time.Now().Before(deadline) {
				if _, err := unix.Pwrite(int(f.Fd()), buf, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	r, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inst); !os.IsNotExist(err) {
		t.Errorf("instance %s left behind (%v)", inst, err)
	}
	if after := mounts(t); after != before {
		t.Errorf("mounts changed by the session:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	var n int64
	for _, l := range r.Locks {
		t.Logf("%s %s %s: %d contended, %d ns", l.Lock, l.Site, l.Mode, l.Contended, l.WaitNs)
		if l.Lock == lockIRwsem && l.Mode == modeExclusive {
			n += l.Contended
		}
	}
	for _, u := range r.Unavailable {
		t.Logf("unavailable: %s", u)
	}
	if n == 0 {
		t.Errorf("no i_rwsem exclusive contention traced among %d rows; unavailable: %s", len(r.Locks), strings.Join(r.Unavailable, "; "))
	}
	if _, err := s.Stop(); err == nil {
		t.Error("a second Stop did not fail")
	}
}

// TestStartWithoutTracefs points Start at a directory that is not tracefs: it
// succeeds, and the report says why nothing was traced.
func TestStartWithoutTracefs(t *testing.T) {
	s, err := Start(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Stop()
	if err != nil || len(r.Locks) != 0 || len(r.Unavailable) != 1 || !strings.Contains(r.Unavailable[0], "not a tracefs mount") {
		t.Errorf("Stop = %+v, %v; want one line saying the directory is not tracefs", r, err)
	}
}

// TestRemoveStale removes an instance whose rwbench process is gone and
// leaves alone those of live processes and those rwbench did not make.
func TestRemoveStale(t *testing.T) {
	rootOrSkip(t)
	dir, err := findTracefs()
	if dir == "" {
		if dir, err = mountTracefs(); err != nil {
			t.Fatal(err)
		}
		defer unmountTracefs(dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "instances", instancePrefix+"999999999")
	other := filepath.Join(dir, "instances", "rwbench-test-"+itoa(os.Getpid()))
	for _, d := range []string{gone, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Remove(other)
	defer os.Remove(gone)
	if err := removeStale(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("stale instance %s not removed (%v)", gone, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("instance %s removed: %v", other, err)
	}
}

// TestRemoveStaleMounts unmounts a tracefs mount of an rwbench process that is
// gone and leaves a live one's alone.
func TestRemoveStaleMounts(t *testing.T) {
	rootOrSkip(t)
	gone, err := os.MkdirTemp("", mountPrefix+"999999999-")
	if err != nil {
		t.Fatal(err)
	}
	live, err := mountTracefs()
	if err != nil {
		t.Fatal(err)
	}
	defer unmountTracefs(live)
	if err := unix.Mount("nodev", gone, "tracefs", 0, ""); err != nil {
		os.Remove(gone)
		t.Fatal(err)
	}
	if err := removeStaleMounts(); err != nil {
		t.Error(err)
	}
	if m := mounts(t); strings.Contains(m, " "+gone+" ") || !strings.Contains(m, " "+live+" ") {
		unix.Unmount(gone, 0)
		os.Remove(gone)
		t.Errorf("after removeStaleMounts, /proc/mounts:\n%s\nwant %s gone and %s kept", m, gone, live)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("%s not removed (%v)", gone, err)
	}
}
