package vfs_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// The benchmarks measure what each strategy costs on the paths it locks:
// cached reads (perbatch and irwsem pay a lock each), faults on cached pages
// (fault-around maps them without the strategy's lock), and cold sequential
// reads through readahead over an O_DIRECT image (invalidate pays once per
// window, perpage once per page). Validation is off, as in the runner.

// benchFS makes a one-file filesystem of size bytes with strategy name on
// store, prefilled by write(2) and written back.
func benchFS(b *testing.B, name string, store blockdev.Store, size int64) (*vfs.FS, *vfs.Task) {
	return benchFSOpts(b, name, store, size, vfs.Options{})
}

// benchFSOpts is benchFS with lock timing and validation as in o.
func benchFSOpts(b *testing.B, name string, store blockdev.Store, size int64, o vfs.Options) (*vfs.FS, *vfs.Task) {
	b.Helper()
	s, err := strategies.New(name)
	if err != nil {
		b.Fatal(err)
	}
	fs, err := vfs.New(store, s, 1, size, vfs.Options{
		CacheBytes:       2 * size,
		FaultAroundPages: 16,
		LockTiming:       o.LockTiming,
		Validate:         o.Validate,
		OnViolation:      func(string) {},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	tk := fs.NewTask()
	b.Cleanup(func() { tk.Close() })
	const chunk = 1 << 20
	buf := blockdev.AlignedBuffer(chunk)
	for off := int64(0); off < size; off += chunk {
		for i := range chunk / ps {
			buf[i*ps] = byte(off/ps) + byte(i) + 1
		}
		if _, err := tk.Write(0, off, buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := fs.Quiesce(); err != nil {
		b.Fatal(err)
	}
	return fs, tk
}

// settle collects the previous sub-benchmark's garbage (its store and cache)
// so that it is not charged to this one.
func settle() { runtime.GC(); runtime.GC() }

// readAll reads the whole file once in 1 MiB reads, so it is cached.
func readAll(b *testing.B, tk *vfs.Task, size int64) {
	b.Helper()
	buf := blockdev.AlignedBuffer(1 << 20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		if n, err := tk.Read(0, off, buf); err != nil || n != len(buf) {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkCachedRead4K(b *testing.B) {
	const size = 32 << 20
	for _, name := range strategies.Names() {
		b.Run(name, func(b *testing.B) {
			fs, tk := benchFS(b, name, blockdev.NewMemory(size/ps+64, 0), size)
			readAll(b, tk, size)
			if got := fs.CachedPages(); got != size/ps {
				b.Fatalf("%d pages cached, want %d", got, size/ps)
			}
			rnd := rand.New(rand.NewPCG(1, 2))
			buf := blockdev.AlignedBuffer(ps)
			b.SetBytes(ps)
			settle()
			for b.Loop() {
				if _, err := tk.Read(0, rnd.Int64N(size/ps)*ps, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLockModes is BenchmarkCachedRead4K for the strategies that take a
// lock on a cache hit (irwsem, perbatch), and for invalidate, which takes
// none, with lock tracking off (the default of the benchmarks), with lock
// timing (lock_stats: true, the runner's default) and with the lock validator
// on: what timing and validation cost per acquisition.
func BenchmarkLockModes(b *testing.B) {
	const size = 32 << 20
	for _, name := range []string{"irwsem", "perbatch", "invalidate"} {
		for _, mode := range []struct {
			name string
			o    vfs.Options
		}{
			{"off", vfs.Options{}},
			{"timing", vfs.Options{LockTiming: true}},
			{"validate", vfs.Options{Validate: true}},
		} {
			b.Run(name+"/"+mode.name, func(b *testing.B) {
				_, tk := benchFSOpts(b, name, blockdev.NewMemory(size/ps+64, 0), size, mode.o)
				readAll(b, tk, size)
				rnd := rand.New(rand.NewPCG(1, 2))
				buf := blockdev.AlignedBuffer(ps)
				b.SetBytes(ps)
				settle()
				for b.Loop() {
					if _, err := tk.Read(0, rnd.Int64N(size/ps)*ps, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkFaultCached(b *testing.B) {
	const size = 8 << 20
	for _, name := range strategies.Names() {
		b.Run(name, func(b *testing.B) {
			_, tk := benchFS(b, name, blockdev.NewMemory(size/ps+64, 0), size)
			readAll(b, tk, size)
			rnd := rand.New(rand.NewPCG(1, 2))
			buf := make([]byte, ps)
			b.SetBytes(ps)
			settle()
			for b.Loop() {
				if err := tk.FaultRead(0, rnd.Int64N(size/ps)*ps, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkColdSeqRead1M(b *testing.B) {
	const size, bs = 16 << 20, 1 << 20
	for _, name := range strategies.Names() {
		b.Run(name, func(b *testing.B) {
			store, err := blockdev.CreateFile(blockdev.Options{
				Path:   filepath.Join(b.TempDir(), "image"),
				Size:   size + 64*ps,
				Direct: true,
			})
			if errors.Is(err, blockdev.ErrNoDirectIO) {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { store.Close() })
			fs, tk := benchFS(b, name, store, size)
			buf := blockdev.AlignedBuffer(bs)
			b.SetBytes(bs)
			settle()
			b.ResetTimer()
			off := int64(0)
			for range b.N {
				if off == size { // next pass, cold again
					b.StopTimer()
					if err := fs.Quiesce(); err != nil {
						b.Fatal(err)
					}
					off = 0
					b.StartTimer()
				}
				if n, err := tk.Read(0, off, buf); err != nil || n != bs {
					b.Fatal(n, err)
				}
				off += bs
			}
		})
	}
}
