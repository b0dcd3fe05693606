package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/config"
	"golang.org/x/sys/unix"
)

// imageLock is an exclusive flock on an image file, held from before the
// first format to the end of the invocation, so that a second rwbench cannot
// format an image another one is running on (a block device has O_EXCL).
type imageLock struct {
	f       *os.File
	created bool // the lock created the (empty) file
}

// lockImage locks the image file at path, creating it empty if it does not
// exist. A path that is not a regular file, or whose directory does not exist,
// is left to the store to refuse (it has the messages); nil is returned then.
func lockImage(path, locks string) (*imageLock, error) {
	st, err := os.Stat(path)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return nil, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, nil
	}
	l := &imageLock{}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		l.created = true
	} else if f, err = os.Open(path); err != nil {
		return nil, nil
	}
	l.f = f
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if err == nil {
		return l, nil
	}
	if err != unix.EWOULDBLOCK {
		l.release()
		return nil, fmt.Errorf("backend.path %s: flock: %v", path, err)
	}
	pid := lockHolder(path, locks)
	if pid == os.Getpid() {
		// This process holds it already (HoldImage, on another descriptor):
		// keep the file open, the lock is the holder's.
		l.created = false
		return l, nil
	}
	l.release()
	holder := "another process"
	if pid > 0 {
		holder = "pid " + strconv.Itoa(pid)
	}
	return nil, fmt.Errorf("backend.path %s: in use by another rwbench run (%s); wait for it to end or choose another backend.path", path, holder)
}

// release drops the lock, and the file if the lock created it and nothing
// was written to it.
func (l *imageLock) release() {
	if l == nil || l.f == nil {
		return
	}
	if l.created {
		if st, err := l.f.Stat(); err == nil && st.Size() == 0 {
			os.Remove(l.f.Name())
		}
	}
	l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
}

// lockHolder finds the pid holding a flock on the file at path in the locks
// file (/proc/locks): "1: FLOCK  ADVISORY  WRITE 1234 08:01:56789 0 EOF".
func lockHolder(path, locks string) int {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0
	}
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	f, err := os.Open(locks)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[5] != want {
			continue // also skips waiters ("1: -> FLOCK ..."), whose fields are shifted
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil {
			return pid
		}
	}
	return 0
}

// HoldImage locks c's image file, when it names one, until release is called:
// a command that runs Preflight and then Run holds it across both, so that no
// other run can take the image between them.
func HoldImage(c *config.Config) (release func(), err error) {
	if c.Backend.Kind != blockdev.KindFile || c.Backend.Path == "" {
		return func() {}, nil
	}
	l, err := lockImage(c.Backend.Path, "/proc/locks")
	if err != nil {
		return nil, err
	}
	return l.release, nil
}
