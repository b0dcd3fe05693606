package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/config"
	"golang.org/x/sys/unix"
)

// TestLockHolder finds the pid of a flock on a file in /proc/locks' format,
// skipping other files' locks, POSIX locks and waiters.
func TestLockHolder(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(img, &st); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	locks := filepath.Join(t.TempDir(), "locks")
	body := strings.Join([]string{
		"1: POSIX  ADVISORY  WRITE 111 " + id + " 0 EOF",
		"2: FLOCK  ADVISORY  WRITE 222 00:00:1 0 EOF",
		"3: FLOCK  ADVISORY  WRITE 4242 " + id + " 0 EOF",
		"3: -> FLOCK  ADVISORY  WRITE 999 " + id + " 0 EOF",
	}, "\n")
	if err := os.WriteFile(locks, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid := lockHolder(img, locks); pid != 4242 {
		t.Errorf("holder %d, want 4242", pid)
	}
	if pid := lockHolder(img, filepath.Join(t.TempDir(), "none")); pid != 0 {
		t.Errorf("holder without a locks file: %d", pid)
	}
}

// TestLockImage: the lock creates a missing image and removes it again if
// nothing was written; a second lock in this process is the same holder's.
func TestLockImage(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	l, err := lockImage(img, "/proc/locks")
	if err != nil || l == nil || !l.created {
		t.Fatalf("lockImage: %+v, %v", l, err)
	}
	again, err := lockImage(img, "/proc/locks")
	if err != nil || again == nil || again.created {
		t.Errorf("second lock in the same process: %+v, %v", again, err)
	}
	again.release()
	l.release()
	if _, err := os.Stat(img); !os.IsNotExist(err) {
		t.Errorf("the empty image the lock made is left: %v", err)
	}
	if l, err := lockImage(t.TempDir(), "/proc/locks"); l != nil || err != nil {
		t.Errorf("a directory is the store's to refuse: %+v, %v", l, err)
	}
}

// TestCheckMemory: a memory store larger than MemAvailable is refused.
func TestCheckMemory(t *testing.T) {
	meminfo := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(meminfo, []byte("MemTotal:  2097152 kB\nMemAvailable:    1048576 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &config.Config{Backend: config.Backend{Kind: "memory", Size: 2 * config.GiB}}
	if err := checkMemory(c, meminfo); err == nil || !strings.Contains(err.Error(), "backend.size 2GiB is larger than the memory available (1.0GiB)") {
		t.Errorf("2GiB of 1GiB: %v", err)
	}
	c.Backend.Size = config.GiB
	if err := checkMemory(c, meminfo); err != nil {
		t.Errorf("1GiB of 1GiB: %v", err)
	}
	c.Backend = config.Backend{Kind: "file", Size: 1000 * config.TiB}
	if err := checkMemory(c, meminfo); err != nil {
		t.Errorf("a file store: %v", err)
	}
}
