package blockdev

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// checkMsg asserts err is a one-line configuration error of kind naming path and containing want.
func checkMsg(t *testing.T, err, kind error, path, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", want)
	}
	msg := err.Error()
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", msg, kind)
	}
	if !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line containing %q", msg, want)
	}
	if path != "" && !strings.HasPrefix(msg, "backend.path "+path+": ") {
		t.Errorf("error %q does not start with backend.path %s", msg, path)
	}
}

func TestCreateFileErrors(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "img")
	for _, tc := range []struct {
		name string
		o    Options
		kind error
		want string
	}{
		{"empty path", Options{Size: 1 << 20, Direct: true}, ErrConfig, "backend.path is empty"},
		{"directory", Options{Path: dir, Size: 1 << 20, Direct: true}, ErrConfig, "is a directory; set backend.path to an image file inside it"},
		{"parent missing", Options{Path: filepath.Join(dir, "no", "img"), Size: 1 << 20, Direct: true}, ErrConfig, "parent directory " + filepath.Join(dir, "no") + " does not exist"},
		{"char device", Options{Path: "/dev/null", Size: 1 << 20, Direct: true}, ErrConfig, "is not a regular file"},
		{"size zero", Options{Path: img, Size: 0, Direct: true}, ErrConfig, "backend.size 0 is not a positive multiple of 4096"},
		{"size negative", Options{Path: img, Size: -8192, Direct: true}, ErrConfig, "not a positive multiple"},
		{"size unaligned", Options{Path: img, Size: 10000, Direct: true}, ErrConfig, "backend.size 10000 is not a positive multiple"},
		{"size one block", Options{Path: img, Size: 4096, Direct: true}, ErrConfig, "backend.size 4096 is too small; an image needs at least 2 blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := CreateFile(tc.o)
			if s != nil {
				s.Close()
			}
			checkMsg(t, err, tc.kind, tc.o.Path, tc.want)
			if _, err := os.Stat(img); err == nil {
				t.Errorf("%s was created", img)
			}
		})
	}
}

func TestCreateFileTmpfs(t *testing.T) {
	var st unix.Statfs_t
	if unix.Statfs("/dev/shm", &st) != nil || uint32(st.Type) != unix.TMPFS_MAGIC {
		t.Skip("/dev/shm is not a tmpfs here")
	}
	dir, err := os.MkdirTemp("/dev/shm", "rwbench-test-")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "x")

	_, err = CreateFile(Options{Path: path, Size: 1 << 20, Direct: true})
	want := "backend.path " + path + ": tmpfs does not support O_DIRECT; put the image on a disk filesystem or set backend.direct: false"
	if err == nil || err.Error() != want || !errors.Is(err, ErrNoDirectIO) {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused image was left behind: %v", err)
	}

	s, err := CreateFile(Options{Path: path, Size: 1 << 20, Direct: false})
	if err != nil {
		t.Fatal(err)
	}
	if s.FSType() != "tmpfs" || s.Kind() != KindFile {
		t.Errorf("FSType %q Kind %q", s.FSType(), s.Kind())
	}
	roundTrip(t, s)
	s.Close()
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestCreateFileForeign(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"short", []byte("hello, world\n")},
		{"blocks", bytes.Repeat([]byte("precious data "), 3000)},
		{"almost signature", []byte("RWBENCH-IMAGE\x00v2" + strings.Repeat("\x00", 5000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "foreign")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := CreateFile(Options{Path: path, Size: 1 << 20, Direct: true})
			checkMsg(t, err, ErrNotImage, path, "exists and was not formatted by rwbench; refusing to overwrite it (set backend.force: true to format it anyway)")
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tc.content) {
				t.Fatal("refused file was modified")
			}
			if err := Remove(path); !errors.Is(err, ErrNotImage) {
				t.Fatalf("Remove of a foreign file: %v", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("Remove deleted a foreign file: %v", err)
			}

			s, err := CreateFile(Options{Path: path, Size: 1 << 20, Direct: true, Force: true})
			if err != nil {
				t.Fatalf("Force: %v", err)
			}
			defer s.Close()
			buf := AlignedBuffer(BlockSize)
			if err := s.ReadBlocks(1, [][]byte{buf}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf, make([]byte, BlockSize)) {
				t.Fatal("old data survived formatting")
			}
			if _, err := ReadSuperblock(path); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCreateFileEmptyExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := CreateFile(Options{Path: path, Size: 1 << 20, Direct: true})
	if err != nil {
		t.Fatalf("empty existing file: %v", err)
	}
	s.Close()
}

// roundTrip writes and reads multi-block runs through s.
func roundTrip(t *testing.T, s Store) {
	t.Helper()
	n := s.NumBlocks()
	w := make([][]byte, 8)
	for i := range w {
		w[i] = fill(AlignedBuffer(BlockSize), byte(i+1))
	}
	if err := s.WriteBlocks(2, w); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBlocks(n, w[:1]); err != nil {
		t.Fatalf("write last block: %v", err)
	}
	r := make([][]byte, 10)
	for i := range r {
		r[i] = fill(AlignedBuffer(BlockSize), 0xee)
	}
	if err := s.ReadBlocks(1, r); err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, BlockSize)
	if !bytes.Equal(r[0], zero) || !bytes.Equal(r[9], zero) {
		t.Error("never-written blocks 1 and 10 are not zero")
	}
	for i := range w {
		if !bytes.Equal(r[i+1], w[i]) {
			t.Errorf("block %d differs from what was written", i+2)
		}
	}
	if err := s.ReadBlocks(n, r[:1]); err != nil || !bytes.Equal(r[0], w[0]) {
		t.Errorf("read last block: %v", err)
	}
	for _, tc := range []struct {
		blk  uint64
		bufs [][]byte
		want error
	}{
		{0, r[:1], ErrRange},
		{n + 1, r[:1], ErrRange},
		{n, r[:2], ErrRange},
		{1, [][]byte{AlignedBuffer(BlockSize / 2)}, ErrBufSize},
	} {
		if err := s.ReadBlocks(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
			t.Errorf("ReadBlocks(%d, %d bufs): %v, want %v", tc.blk, len(tc.bufs), err, tc.want)
		}
		if err := s.WriteBlocks(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
			t.Errorf("WriteBlocks(%d, %d bufs): %v, want %v", tc.blk, len(tc.bufs), err, tc.want)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestFileDirectRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	const size = 2048 * BlockSize
	before := time.Now()
	s, err := CreateFile(Options{Path: path, Size: size, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != KindFile || s.NumBlocks() != 2047 || s.FSType() == "" {
		t.Fatalf("Kind %q NumBlocks %d FSType %q", s.Kind(), s.NumBlocks(), s.FSType())
	}
	t.Logf("image on %s", s.FSType())
	roundTrip(t, s)

	// Unaligned buffers fail early rather than with EINVAL from the kernel.
	unaligned := AlignedBuffer(2 * BlockSize)[1 : 1+BlockSize]
	if err := s.ReadBlocks(1, [][]byte{unaligned}); !errors.Is(err, ErrUnaligned) {
		t.Errorf("unaligned read: %v", err)
	}

	// More buffers than IOV_MAX in one call.
	many := make([][]byte, 1500)
	arena := AlignedBuffer(len(many) * BlockSize)
	for i := range many {
		many[i] = fill(arena[i*BlockSize:(i+1)*BlockSize:(i+1)*BlockSize], byte(i))
	}
	if err := s.WriteBlocks(100, many); err != nil {
		t.Fatal(err)
	}
	back := AlignedBuffer(len(many) * BlockSize)
	backs := make([][]byte, len(many))
	for i := range backs {
		backs[i] = back[i*BlockSize : (i+1)*BlockSize]
	}
	if err := s.ReadBlocks(100, backs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, arena) {
		t.Fatal("1500-block transfer differs")
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.ReadBlocks(1, backs[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}

	// The superblock: signature, geometry, creation time, then zeros.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != size {
		t.Fatalf("image is %d bytes, want %d", len(data), size)
	}
	if !bytes.HasPrefix(data, []byte("RWBENCH-IMAGE\x00v1")) {
		t.Fatalf("no signature: %q", data[:16])
	}
	if !bytes.Equal(data[superbEnd:BlockSize], make([]byte, BlockSize-superbEnd)) {
		t.Fatal("rest of block 0 is not zero")
	}
	sb, err := ReadSuperblock(path)
	if err != nil {
		t.Fatal(err)
	}
	if sb.BlockSize != BlockSize || sb.TotalBlocks != 2048 || sb.Created.Before(before.Add(-time.Second)) || sb.Created.After(time.Now()) {
		t.Fatalf("superblock %+v", sb)
	}

	// Reformatting a signed image needs no Force, may resize it, and discards its data.
	s, err = CreateFile(Options{Path: path, Size: 64 * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.NumBlocks() != 63 {
		t.Fatalf("NumBlocks after reformat %d", s.NumBlocks())
	}
	if err := s.ReadBlocks(2, backs[:1]); err != nil || !bytes.Equal(backs[0], make([]byte, BlockSize)) {
		t.Fatalf("data survived reformat (err %v)", err)
	}
	s.Close()

	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("Remove left the image")
	}
	if err := Remove(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Remove of a missing image: %v", err)
	}
}

func TestFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	s, err := CreateFile(Options{Path: path, Size: 257 * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			base := uint64(1 + g*32)
			w := [][]byte{AlignedBuffer(BlockSize), AlignedBuffer(BlockSize)}
			r := [][]byte{AlignedBuffer(BlockSize), AlignedBuffer(BlockSize)}
			for i := range 50 {
				blk := base + uint64(i%31)
				fill(w[0], byte(g+i))
				fill(w[1], byte(g*i))
				if err := s.WriteBlocks(blk, w); err != nil {
					t.Error(err)
					return
				}
				if err := s.ReadBlocks(blk, r); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(r[0], w[0]) || !bytes.Equal(r[1], w[1]) {
					t.Errorf("goroutine %d: block %d read back differs", g, blk)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRemoveRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := Remove(dir); !errors.Is(err, ErrNotImage) {
		t.Fatalf("Remove(dir): %v", err)
	}
	link := filepath.Join(dir, "link")
	path := filepath.Join(dir, "img")
	s, err := CreateFile(Options{Path: path, Size: 2 * BlockSize, Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := Remove(link); !errors.Is(err, ErrNotImage) {
		t.Fatalf("Remove(symlink): %v", err)
	}
}

func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{0, 1, 512, BlockSize, 3*BlockSize + 5, 1 << 20} {
		b := AlignedBuffer(n)
		if len(b) != n || cap(b) != n {
			t.Errorf("AlignedBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		if n > 0 && !aligned(b) {
			t.Errorf("AlignedBuffer(%d) is not aligned", n)
		}
	}
}

func TestAdvance(t *testing.T) {
	a, b, c := make([]byte, 4), make([]byte, 4), make([]byte, 4)
	bufs := [][]byte{a, b, c}
	if got := advance(bufs, 4); len(got) != 2 || &got[0][0] != &b[0] {
		t.Fatal("advance by one whole buffer")
	}
	got := advance(bufs, 6)
	if len(got) != 2 || len(got[0]) != 2 || &got[0][0] != &b[2] || len(bufs[1]) != 4 {
		t.Fatal("advance into the middle of a buffer, or the caller's slice was modified")
	}
	if got := advance(bufs, 12); len(got) != 0 {
		t.Fatal("advance past the end")
	}
}

func TestSuperblockCodec(t *testing.T) {
	buf := make([]byte, BlockSize)
	want := Superblock{BlockSize: BlockSize, TotalBlocks: 1 << 33, Created: time.Unix(1700000000, 123)}
	encodeSuperblock(buf, want)
	got, ok := decodeSuperblock(buf)
	if !ok || got.BlockSize != want.BlockSize || got.TotalBlocks != want.TotalBlocks || !got.Created.Equal(want.Created) {
		t.Fatalf("decoded %+v, %v", got, ok)
	}
	buf[15] = '2'
	if _, ok := decodeSuperblock(buf); ok {
		t.Fatal("decoded a superblock with a wrong magic")
	}
}
