package blockdev

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenBlockDevice opens the block device at o.Path (O_DIRECT when o.Direct, and always O_EXCL
// so nothing can mount or claim it while rwbench runs) and formats it: it zeroes the data
// range and writes the superblock. o.Size 0 uses the whole device.
//
// It refuses a device that is mounted (by major:minor or by source path in
// /proc/self/mountinfo, including any of its partitions), used as swap, or held by device
// mapper, md or LVM (non-empty holders in sysfs); Force does not override that. It refuses a
// device without rwbench's signature unless o.Force.
//
// Zeroing uses fallocate(PUNCH_HOLE), which the kernel turns into discard/write-zeroes and
// fails fast when the device has neither; the fallback, fallocate(ZERO_RANGE), may write
// zeros over the whole range and take minutes on a large slow device.
func OpenBlockDevice(o Options) (Store, error) {
	path := o.Path
	if path == "" {
		return nil, &configError{msg: "backend.path is empty; set it to a block device such as /dev/sdX", kind: ErrConfig}
	}
	if o.Size != 0 {
		if err := checkSize(path, o.Size); err != nil {
			return nil, err
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, pathErr(ErrConfig, path, "%v", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return nil, pathErr(ErrConfig, path, "is not a block device; use a file image for regular files")
	}
	if err := checkDeviceFree(path, st.Rdev, "/proc/self/mountinfo", "/proc/swaps", "/sys/dev/block"); err != nil {
		return nil, err
	}

	flags := unix.O_RDWR | unix.O_EXCL | unix.O_CLOEXEC
	if o.Direct {
		flags |= unix.O_DIRECT
	}
	fd, err := openRetry(path, flags, 0)
	switch err {
	case nil:
	case unix.EBUSY:
		return nil, pathErr(ErrDeviceInUse, path, "device is busy (mounted, in a RAID/LVM/device-mapper set, or opened exclusively by another program); release it or choose another device")
	case unix.EACCES, unix.EPERM:
		return nil, pathErr(ErrConfig, path, "permission denied; run as root or give this user write access to the device")
	case unix.EROFS:
		return nil, pathErr(ErrConfig, path, "device is read-only; choose a writable device")
	case unix.EINVAL:
		if o.Direct {
			return nil, noDirectErr(path, "this device")
		}
		fallthrough
	default:
		return nil, pathErr(ErrConfig, path, "open: %v", err)
	}
	fail := func(err error) (Store, error) {
		_ = unix.Close(fd)
		return nil, err
	}

	size, err := unix.IoctlGetUint64(fd, unix.BLKGETSIZE64)
	if err != nil {
		return fail(pathErr(ErrConfig, path, "BLKGETSIZE64: %v", err))
	}
	if lbs, err := unix.IoctlGetInt(fd, unix.BLKSSZGET); err == nil && lbs > BlockSize {
		return fail(pathErr(ErrConfig, path, "logical block size %d exceeds rwbench's %d-byte blocks; choose another device", lbs, BlockSize))
	}
	total := size / BlockSize
	if o.Size != 0 {
		if uint64(o.Size) > size {
			return fail(pathErr(ErrConfig, path, "backend.size %d exceeds the device's %d bytes; lower it or set it to 0 for the whole device", o.Size, size))
		}
		total = uint64(o.Size) / BlockSize
	}
	if total < 2 {
		return fail(pathErr(ErrConfig, path, "device has %d bytes; an image needs at least 2 blocks (%d bytes)", size, 2*BlockSize))
	}

	signed, err := readSignature(fd, path, "this device", o.Direct)
	if err != nil {
		return fail(err)
	}
	if !signed && !o.Force {
		return fail(pathErr(ErrNotImage, path, "was not formatted by rwbench; refusing to overwrite it (set backend.force: true to format it anyway)"))
	}

	s := &directStore{fd: fd, path: path, kind: KindBlockDev, fstype: KindBlockDev, direct: o.Direct, blocks: total - 1}
	if err := zeroRange(fd, BlockSize, int64(total-1)*BlockSize); err != nil {
		return fail(pathErr(ErrConfig, path, "zeroing the data blocks: %v", err))
	}
	if err := writeSuperblock(s, total); err != nil {
		return fail(err)
	}
	return s, nil
}

// zeroRange makes [off, off+n) of a block device read as zeros.
func zeroRange(fd int, off, n int64) error {
	err := retryEINTR(func() error {
		return unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	})
	if err == nil {
		return nil
	}
	return retryEINTR(func() error {
		return unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	})
}

// blockDev is one device number and its node name ("sdb1") from sysfs.
type blockDev struct {
	majmin string // "8:17"
	name   string
	sysDir string
}

// checkDeviceFree refuses a device that is mounted, used as swap or held by another driver.
// It checks the device and all of its partitions; the file paths are parameters for tests.
func checkDeviceFree(path string, rdev uint64, mountinfo, swaps, sysDevBlock string) error {
	self := blockDev{majmin: fmt.Sprintf("%d:%d", unix.Major(rdev), unix.Minor(rdev))}
	self.sysDir, _ = filepath.EvalSymlinks(filepath.Join(sysDevBlock, self.majmin))
	if self.sysDir != "" {
		self.name = filepath.Base(self.sysDir)
	}
	devs := append([]blockDev{self}, partitions(self.sysDir)...)

	byNum := make(map[string]blockDev, len(devs))
	byPath := make(map[string]blockDev, 2*len(devs))
	byPath[resolve(path)] = self
	for _, d := range devs {
		byNum[d.majmin] = d
		if d.name != "" {
			byPath[resolve("/dev/"+d.name)] = d
		}
	}

	if f, err := os.Open(mountinfo); err == nil {
		m, found := findMount(f, byNum, byPath)
		f.Close()
		if found {
			return pathErr(ErrDeviceInUse, path, "%s is mounted on %s; unmount it or choose another device", m.what, m.where)
		}
	}
	if f, err := os.Open(swaps); err == nil {
		what, found := findSwap(f, byNum, byPath)
		f.Close()
		if found {
			return pathErr(ErrDeviceInUse, path, "%s is in use as swap; swapoff it or choose another device", what)
		}
	}
	for _, d := range devs {
		if d.sysDir == "" {
			continue
		}
		if ents, _ := os.ReadDir(filepath.Join(d.sysDir, "holders")); len(ents) > 0 {
			return pathErr(ErrDeviceInUse, path, "%s is held by %s (device mapper, md or LVM); release it or choose another device", devLabel(d), ents[0].Name())
		}
	}
	return nil
}

func devLabel(d blockDev) string {
	if d.name != "" {
		return "/dev/" + d.name
	}
	return "device " + d.majmin
}

// partitions lists the partitions of the whole-disk sysfs directory dir (subdirectories
// with a "partition" file).
func partitions(dir string) []blockDev {
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var parts []blockDev
	for _, e := range ents {
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "partition")); err != nil {
			continue
		}
		num, err := os.ReadFile(filepath.Join(sub, "dev"))
		if err != nil {
			continue
		}
		parts = append(parts, blockDev{majmin: strings.TrimSpace(string(num)), name: e.Name(), sysDir: sub})
	}
	return parts
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

type mountHit struct{ what, where string }

// findMount scans mountinfo for a mount whose device number or source path is one of ours.
// Source paths matter because btrfs reports an anonymous 0:N device number.
func findMount(r io.Reader, byNum, byPath map[string]blockDev) (mountHit, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		where := UnescapeOctal(fields[4])
		if d, ok := byNum[fields[2]]; ok {
			return mountHit{devLabel(d), where}, true
		}
		for i := 5; i+2 < len(fields); i++ {
			if fields[i] != "-" {
				continue
			}
			if src := UnescapeOctal(fields[i+2]); strings.HasPrefix(src, "/") {
				if d, ok := byPath[resolve(src)]; ok {
					return mountHit{devLabel(d), where}, true
				}
			}
			break
		}
	}
	return mountHit{}, false
}

// findSwap scans /proc/swaps for one of our devices.
func findSwap(r io.Reader, byNum, byPath map[string]blockDev) (string, bool) {
	sc := bufio.NewScanner(r)
	for first := true; sc.Scan(); first = false {
		fields := strings.Fields(sc.Text())
		if first || len(fields) == 0 {
			continue // header line
		}
		name := UnescapeOctal(fields[0])
		if d, ok := byPath[resolve(name)]; ok {
			return devLabel(d), true
		}
		var st unix.Stat_t
		if unix.Stat(name, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK {
			if d, ok := byNum[fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))]; ok {
				return devLabel(d), true
			}
		}
	}
	return "", false
}

// UnescapeOctal decodes the \040-style escapes the kernel uses in mountinfo,
// mounts and swaps.
func UnescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
