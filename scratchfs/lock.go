package scratchfs

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LockName is the lock file's name in the state directory; it stays there.
const LockName = "lock"

// hostLock serializes the setups of all rwbench processes on the host: the
// dirty thresholds are host-wide, and two runs that set and restore them
// interleaved would leave the second one's value behind. A setup holds it from
// before the sweep until its Close; the kernel releases it when a process dies.
type hostLock struct{ f *os.File }

// lockHost takes the lock file in dir, waiting while another process holds it.
func lockHost(dir string) (*hostLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return &hostLock{f: f}, nil
}

// unlock releases the lock (closing the file drops the flock).
func (l *hostLock) unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
