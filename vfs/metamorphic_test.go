package vfs_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/refmodel"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// modelRun is the outcome of one op stream on a fresh filesystem.
type modelRun struct {
	transcript []string
	image      []byte // every data block of the store after Quiesce
	problems   []string
	maxCached  int64 // the most pages cached after any op
}

// runModel runs ops single-threaded on a fresh filesystem with strategy s over
// a memory store: no flusher, validation on, cachePages pages of cache.
func runModel(t testing.TB, s vfs.Strategy, files int, pages, cachePages int64, ops []op) modelRun {
	t.Helper()
	store := blockdev.NewMemory(uint64(files)*uint64(pages)+32, 0)
	defer store.Close()
	var violations []string
	fs, err := vfs.New(store, s, files, pages*ps, vfs.Options{
		CacheBytes:       cachePages * ps,
		FaultAroundPages: 16,
		FlushInterval:    0,
		Validate:         true,
		OnViolation:      func(v string) { violations = append(violations, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	tk := fs.NewTask()
	var r modelRun
	r.transcript = runOps(tk, fs.Quiesce, ops, func() { r.maxCached = max(r.maxCached, fs.CachedPages()) })
	if err := tk.Close(); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	if err := fs.Quiesce(); err != nil {
		r.problems = append(r.problems, "quiesce: "+err.Error())
	}
	r.problems = append(r.problems, fs.Check()...)
	r.problems = append(r.problems, violations...)
	bufs := make([][]byte, store.NumBlocks())
	r.image = make([]byte, len(bufs)*ps)
	for i := range bufs {
		bufs[i] = r.image[i*ps : (i+1)*ps]
	}
	if err := store.ReadBlocks(1, bufs); err != nil {
		t.Fatal(err)
	}
	return r
}

// firstBlockDiff names the first block where two images differ.
func firstBlockDiff(a, b []byte) string {
	for i := 0; i < min(len(a), len(b)); i += ps {
		if !bytes.Equal(a[i:i+ps], b[i:i+ps]) {
			return fmt.Sprintf("block %d: %s vs %s", i/ps+1, pagesSummary(a[i:i+ps]), pagesSummary(b[i:i+ps]))
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// TestMetamorphic runs one seeded single-threaded op stream under every
// strategy: the transcripts (every returned byte, count and error) must be
// identical to each other and to the reference model's, and so must the final
// images of the store. Strategies only take locks, so single-threaded they must
// not change a single byte. A different cache size must not change the
// transcript either.
func TestMetamorphic(t *testing.T) {
	const files, pages, cache = 2, 64, 32
	n := 1500
	if testing.Short() {
		n = 500
	}
	for _, seed := range []uint64{1} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ops := genOps(seed, n, files, pages)
			ref := runOps(newRefFS(files, pages), nil, ops, nil)
			var base modelRun
			baseName := ""
			for _, name := range strategies.Names() {
				s, err := strategies.New(name)
				if err != nil {
					t.Fatal(err)
				}
				r := runModel(t, s, files, pages, cache, ops)
				if len(r.problems) > 0 {
					t.Errorf("%s: %d problems, first: %s", name, len(r.problems), r.problems[0])
				}
				if d := diffTranscripts("reference", ref, name, r.transcript); d != "" {
					t.Errorf("%s differs from the reference model: %s", name, d)
				}
				// The stream ends by reading every page cold after a Quiesce:
				// only reclaim keeps them from all being cached at once.
				t.Logf("%s: at most %d pages cached (limit %d)", name, r.maxCached, cache)
				if r.maxCached >= files*pages {
					t.Errorf("%s: %d pages cached with a %d-page limit: no reclaim", name, r.maxCached, cache)
				}
				if baseName == "" {
					base, baseName = r, name
					continue
				}
				if d := diffTranscripts(baseName, base.transcript, name, r.transcript); d != "" {
					t.Errorf("transcripts of %s and %s differ: %s", baseName, name, d)
				}
				if !bytes.Equal(base.image, r.image) {
					t.Errorf("final images of %s and %s differ: %s", baseName, name, firstBlockDiff(base.image, r.image))
				}
			}
			for _, c := range []int64{8 * files * pages} { // no reclaim at all
				r := runModel(t, strategies.Invalidate(), files, pages, c, ops)
				if len(r.problems) > 0 {
					t.Errorf("cache %d pages: %d problems, first: %s", c, len(r.problems), r.problems[0])
				}
				if d := diffTranscripts(fmt.Sprintf("%s, cache %d", baseName, cache), base.transcript,
					fmt.Sprintf("invalidate, cache %d", c), r.transcript); d != "" {
					t.Errorf("the cache size changed the transcript: %s", d)
				}
			}
		})
	}
}

// TestReferenceModelSanity checks the reference model and transcript on a
// hand-written stream, so a bug there cannot hide a bug in the model.
func TestReferenceModelSanity(t *testing.T) {
	ops := []op{
		{kind: opWrite, file: 0, off: 0, n: 2 * ps, gen: 1},
		{kind: opRead, file: 0, off: 0, n: 3 * ps},
		{kind: opTruncate, file: 0, n: ps},
		{kind: opRead, file: 0, off: 0, n: 3 * ps},
		{kind: opFaultRead, file: 0, off: ps},
		{kind: opTruncate, file: 0, n: 4 * ps},
		{kind: opRead, file: 0, off: 0, n: 2 * ps},
		{kind: opWrite, file: 1, off: 3 * ps, n: 2 * ps, gen: 3},
	}
	got := runOps(newRefFS(2, 4), nil, ops, nil)
	stamp := func(file int, idx, gen uint64) []byte {
		b := make([]byte, ps)
		oracle.Fill(b, uint32(file+1), idx, gen)
		return b
	}
	zero := make([]byte, ps)
	data := func(pages ...[]byte) string { return pagesSummary(bytes.Join(pages, nil)) }
	want := []string{
		"0 write f0 p0+2: n=8192 err=nil",
		"1 read f0 p0+3: n=12288 err=nil data=" + data(stamp(0, 0, 1), stamp(0, 1, 2), zero),
		"2 truncate f0 size=1p: err=nil",
		"3 read f0 p0+3: n=4096 err=nil data=" + data(stamp(0, 0, 1)),
		"4 fault f0 p1: err=EOF",
		"5 truncate f0 size=4p: err=nil",
		"6 read f0 p0+2: n=8192 err=nil data=" + data(stamp(0, 0, 1), zero),
		"7 write f1 p3+2: n=0 err=TOOLARGE",
	}
	if d := diffTranscripts("got", got, "want", want); d != "" {
		t.Fatal(d)
	}
	if !strings.HasPrefix(want[1], "1 read f0 p0+3: n=12288 err=nil data=[0.0.1 0.1.2 z] sha=") {
		t.Fatal("summary format:", want[1])
	}
}

// TestZeroLengthWrite: write(2) of nothing changes nothing, not even i_size
// past end of file.
func TestZeroLengthWrite(t *testing.T) {
	fs := newFS(t, "invalidate", vfs.Options{})
	tk := fs.NewTask()
	defer tk.Close()
	if err := tk.Truncate(0, 8*ps); err != nil {
		t.Fatal(err)
	}
	if n, err := tk.Write(0, 40*ps, nil); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	if got := fs.Size(0); got != 8*ps {
		t.Errorf("a zero-length write at page 40 set the size to %d pages, want 8", got/ps)
	}
	r := newRefFS(1, 64)
	r.Truncate(0, 8*ps)
	r.Write(0, 40*ps, nil)
	if r.size[0] != 8*ps {
		t.Errorf("reference model: size %d pages, want 8", r.size[0]/ps)
	}
}

// runRefmodelStream runs ops from the shared reference package on the model,
// quiescing every chunk ops (so reads go cold), and returns refmodel.Run's
// transcript of each chunk.
func runRefmodelStream(t testing.TB, w refmodel.Worker, quiesce func() error, files int, ops []refmodel.Op, chunk int) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(ops); i += chunk {
		tr, err := refmodel.Run(w, ops[i:min(i+chunk, len(ops))], files)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr...)
		if quiesce != nil {
			if err := quiesce(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestRefmodelCrossCheck runs the shared reference package's generated stream
// (refmodel.Generate, refmodel.Run) under every strategy: each transcript must
// equal refmodel.Files's, and fsck and the lock validator must be clean.
func TestRefmodelCrossCheck(t *testing.T) {
	const files, pages = 2, 64
	n := 1000
	if testing.Short() {
		n = 300
	}
	ops := refmodel.Generate(7, n, files, pages*ps)
	want := runRefmodelStream(t, refmodel.New(files, pages*ps), nil, files, ops, 100)
	for _, name := range strategies.Names() {
		t.Run(name, func(t *testing.T) {
			fs := newFS(t, name, vfs.Options{CacheBytes: 32 * ps, FaultAroundPages: 16})
			tk := fs.NewTask()
			got := runRefmodelStream(t, tk, fs.Quiesce, files, ops, 100)
			if err := tk.Close(); err != nil {
				t.Fatal(err)
			}
			if d := refmodel.Diff(want, got); d != "" {
				t.Errorf("the model differs from refmodel: %s", d)
			}
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			if errs := fs.Check(); len(errs) > 0 {
				t.Error(errs)
			}
		})
	}
}
