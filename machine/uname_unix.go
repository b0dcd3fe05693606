//go:build unix

package machine

import "golang.org/x/sys/unix"

// kernelRelease is uname -r, "" when uname fails.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
