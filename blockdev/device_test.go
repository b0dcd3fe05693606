package blockdev

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// loopDevice attaches a fresh loop device over a sparse temp file of size bytes, or skips.
// The device is detached on cleanup.
func loopDevice(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("no losetup")
	}
	img := filepath.Join(t.TempDir(), "loop.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

func TestBlockDevice(t *testing.T) {
	dev := loopDevice(t, 4<<20)
	// Fill the device with foreign data first.
	foreign := bytes.Repeat([]byte("not rwbench "), 1000)
	if err := os.WriteFile(dev, foreign, 0); err != nil {
		t.Fatal(err)
	}

	_, err := OpenBlockDevice(Options{Path: dev, Direct: true})
	checkMsg(t, err, ErrNotImage, dev, "was not formatted by rwbench; refusing to overwrite it (set backend.force: true to format it anyway)")
	if got, _ := os.ReadFile(dev); !bytes.HasPrefix(got, foreign) {
		t.Fatal("refused device was modified")
	}

	s, err := OpenBlockDevice(Options{Path: dev, Direct: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != KindBlockDev || s.FSType() != KindBlockDev || s.NumBlocks() != 1023 {
		t.Fatalf("Kind %q FSType %q NumBlocks %d", s.Kind(), s.FSType(), s.NumBlocks())
	}
	roundTrip(t, s) // block 2 (old foreign data) reads as zeros: formatting zeroed it

	// O_EXCL: a second open while the store holds the device is refused.
	_, err = OpenBlockDevice(Options{Path: dev, Direct: true, Force: true})
	checkMsg(t, err, ErrDeviceInUse, dev, "device is busy")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Signed now: reopening needs no Force, honours Size and zeroes again.
	s, err = OpenBlockDevice(Options{Path: dev, Direct: true, Size: 64 * BlockSize})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.NumBlocks() != 63 {
		t.Fatalf("NumBlocks %d with Size 64 blocks", s.NumBlocks())
	}
	buf := AlignedBuffer(BlockSize)
	if err := s.ReadBlocks(3, [][]byte{buf}); err != nil || !bytes.Equal(buf, make([]byte, BlockSize)) {
		t.Fatalf("data survived reformat (err %v)", err)
	}
	sb, err := ReadSuperblock(dev)
	if err != nil || sb.TotalBlocks != 64 {
		t.Fatalf("superblock %+v, %v", sb, err)
	}
}

func TestBlockDeviceMounted(t *testing.T) {
	dev := loopDevice(t, 8<<20)
	if out, err := exec.Command("mkfs.ext4", "-q", dev).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v: %s", err, out)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", dev, mnt).CombinedOutput(); err != nil {
		t.Skipf("mount: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	_, err := OpenBlockDevice(Options{Path: dev, Direct: true, Force: true})
	checkMsg(t, err, ErrDeviceInUse, dev, "is mounted on "+mnt+"; unmount it or choose another device")
}

func TestBlockDeviceHeld(t *testing.T) {
	dev := loopDevice(t, 4<<20)
	if _, err := exec.LookPath("dmsetup"); err != nil {
		t.Skip("no dmsetup")
	}
	name := "rwbench-test-" + filepath.Base(t.TempDir())
	table := "0 8192 linear " + dev + " 0"
	if out, err := exec.Command("dmsetup", "create", name, "--table", table).CombinedOutput(); err != nil {
		t.Skipf("dmsetup create: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dmsetup", "remove", name).CombinedOutput(); err != nil {
			t.Errorf("dmsetup remove: %v: %s", err, out)
		}
	})
	_, err := OpenBlockDevice(Options{Path: dev, Direct: true, Force: true})
	checkMsg(t, err, ErrDeviceInUse, dev, "is held by dm-")
}

func TestOpenBlockDeviceErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o    Options
		kind error
		want string
	}{
		{Options{}, ErrConfig, "backend.path is empty"},
		{Options{Path: file, Direct: true, Force: true}, ErrConfig, "is not a block device"},
		{Options{Path: "/dev/null", Direct: true, Force: true}, ErrConfig, "is not a block device"},
		{Options{Path: file, Size: 5000, Force: true}, ErrConfig, "backend.size 5000 is not a positive multiple"},
	} {
		_, err := OpenBlockDevice(tc.o)
		checkMsg(t, err, tc.kind, tc.o.Path, tc.want)
	}
	if got, _ := os.ReadFile(file); string(got) != "x" {
		t.Fatal("file modified")
	}
}

// TestCheckDeviceFree drives the mount, swap, partition and holder checks over a fake sysfs.
func TestCheckDeviceFree(t *testing.T) {
	root := t.TempDir()
	sysBlock := filepath.Join(root, "devices", "vdx")
	part := filepath.Join(sysBlock, "vdx1")
	for _, d := range []string{filepath.Join(sysBlock, "holders"), filepath.Join(part, "holders"), filepath.Join(root, "dev-block")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) string {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(filepath.Join(sysBlock, "dev"), "252:16\n")
	write(filepath.Join(part, "dev"), "252:17\n")
	write(filepath.Join(part, "partition"), "1\n")
	if err := os.Symlink(sysBlock, filepath.Join(root, "dev-block", "252:16")); err != nil {
		t.Fatal(err)
	}
	rdev := uint64(252<<8 | 16) // old-style encoding is enough for small numbers
	noSwaps := write(filepath.Join(root, "swaps0"), "Filename Type Size Used Priority\n")
	noMounts := write(filepath.Join(root, "mi0"), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n")

	check := func(mountinfo, swaps string) error {
		return checkDeviceFree("/dev/vdx", rdev, mountinfo, swaps, filepath.Join(root, "dev-block"))
	}
	if err := check(noMounts, noSwaps); err != nil {
		t.Fatalf("free device refused: %v", err)
	}
	for _, tc := range []struct {
		name, mountinfo, swaps, want string
	}{
		{"whole disk mounted", "22 1 252:16 / /mnt/a\\040b rw shared:1 - xfs /dev/vdx rw\n", "", "/dev/vdx is mounted on /mnt/a b;"},
		{"partition mounted", "22 1 252:17 / /data rw - ext4 /dev/vdx1 rw\n", "", "/dev/vdx1 is mounted on /data;"},
		{"mounted by path (btrfs)", "22 1 0:45 / /b rw - btrfs /dev/vdx1 rw\n", "", "/dev/vdx1 is mounted on /b;"},
		{"swap", "", "Filename Type Size Used Priority\n/dev/vdx1 partition 100 0 -2\n", "/dev/vdx1 is in use as swap"},
	} {
		mi, sw := noMounts, noSwaps
		if tc.mountinfo != "" {
			mi = write(filepath.Join(root, "mi"), tc.mountinfo)
		}
		if tc.swaps != "" {
			sw = write(filepath.Join(root, "sw"), tc.swaps)
		}
		checkMsg(t, check(mi, sw), ErrDeviceInUse, "/dev/vdx", tc.want)
	}
	write(filepath.Join(part, "holders", "dm-3"), "")
	checkMsg(t, check(noMounts, noSwaps), ErrDeviceInUse, "/dev/vdx", "/dev/vdx1 is held by dm-3 (device mapper, md or LVM)")
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `x\134y`: `x\y`, `end\04`: `end\04`, "plain": "plain"} {
		if got := UnescapeOctal(in); got != want {
			t.Errorf("UnescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenDispatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	s, err := Open(Options{Path: path, Size: 4 * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Kind() != KindFile {
		t.Fatalf("Kind %q", s.Kind())
	}
	if _, err := OpenBlockDevice(Options{Path: path}); err == nil || errors.Is(err, ErrNotImage) {
		t.Fatalf("OpenBlockDevice on a file: %v", err)
	}
}
