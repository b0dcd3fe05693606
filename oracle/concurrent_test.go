package oracle

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// segments is the number of separately locked pieces of a store page.
const segments = 8

// page is one page of a store: data, guarded piece by piece by seg, and the
// writer lock that serializes mutations (as i_rwsem does).
type storePage struct {
	writer sync.Mutex
	seg    [segments]sync.Mutex
	data   [PageSize]byte
	prev   [PageSize]byte // the value before the last mutation, for the stale store
}

// store is a correct target: a mutex-protected []byte per page. In the locked
// mode a read holds the page's writer lock, so it is atomic. In the torn mode a
// read takes only the segment locks, one piece at a time, so a read overlapping
// a write sees a mix of two values: correct concurrency (read(2) copies without
// the page lock) that the oracle must excuse.
type store struct {
	files, pages int
	locked       bool
	p            []storePage
	// stale, when set, makes one read in eight return the page's previous value
	// even after it was overwritten: a bug the oracle must catch.
	stale bool
}

func newStore(files, pages int, locked bool) *store {
	return &store{files: files, pages: pages, locked: locked, p: make([]storePage, files*pages)}
}

// write stores data into a page; serialized says whether it takes the writer lock.
func (s *store) write(file, idx int, data []byte, serialized bool) {
	sp := &s.p[file*s.pages+idx]
	if serialized {
		sp.writer.Lock()
		defer sp.writer.Unlock()
	}
	const n = PageSize / segments
	for i := range segments {
		sp.seg[i].Lock()
		if s.stale {
			copy(sp.prev[i*n:(i+1)*n], sp.data[i*n:(i+1)*n])
		}
		copy(sp.data[i*n:(i+1)*n], data[i*n:(i+1)*n])
		sp.seg[i].Unlock()
	}
}

func (s *store) read(file, idx int, buf []byte, rnd *rand.Rand) {
	sp := &s.p[file*s.pages+idx]
	src := &sp.data
	if s.stale && rnd.IntN(8) == 0 {
		src = &sp.prev
	}
	if s.locked {
		sp.writer.Lock()
		defer sp.writer.Unlock()
	}
	const n = PageSize / segments
	for i := range segments {
		sp.seg[i].Lock()
		copy(buf[i*n:(i+1)*n], src[i*n:(i+1)*n])
		sp.seg[i].Unlock()
	}
}

// runWorkload runs writers, zeroers and readers on a store for ops operations in
// all, with per-worker Checkers.
func runWorkload(t *testing.T, o *Oracle, s *store, workers, ops int) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			chk := o.NewChecker()
			page := make([]byte, PageSize)
			var floors [4]int64
			for range ops / workers {
				file := rnd.IntN(s.files)
				switch r := rnd.IntN(100); {
				case r < 35: // write 1-3 pages
					idx, n := rnd.IntN(s.pages-2), 1+rnd.IntN(3)
					for p := idx; p < idx+n; p++ {
						g := o.BeginWrite(file, uint64(p))
						Fill(page, uint32(file)+1, uint64(p), g)
						s.write(file, p, page, true)
						o.EndWrite(file, uint64(p), g)
					}
				case r < 42: // punch a range, or truncate to the end
					first := rnd.IntN(s.pages)
					count := uint64(1 + rnd.IntN(6))
					if r == 41 {
						count = ^uint64(0)
					}
					tok := o.BeginZero(file, uint64(first), count)
					clear(page)
					for p := first; p < s.pages && uint64(p-first) < count; p++ {
						s.write(file, p, page, true)
					}
					o.EndZero(tok)
				default: // read 1-4 pages
					n := 1 + rnd.IntN(4)
					idx := rnd.IntN(s.pages - n + 1)
					o.Snapshot(file, uint64(idx), floors[:n])
					for i := range n {
						s.read(file, idx+i, page, rnd)
						kind := OpRead
						if i%2 == 1 {
							kind = OpFault
						}
						chk.Check(kind, file, uint64(idx+i), floors[i], page)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// finalCheck runs CheckFinal over every page of the store.
func finalCheck(t *testing.T, o *Oracle, s *store) {
	t.Helper()
	page := make([]byte, PageSize)
	for f := range s.files {
		for p := range s.pages {
			s.read(f, p, page, nil)
			if err := o.CheckFinal(f, uint64(p), page); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestConcurrentCorrectStore(t *testing.T) {
	ops := 200_000
	if testing.Short() {
		ops = 20_000
	}
	for _, c := range []struct {
		name   string
		level  Level
		locked bool
	}{
		{"locked/header", Header, true},
		{"locked/full", Full, true},
		{"torn/full", Full, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := New(2, 24, c.level)
			s := newStore(2, 24, c.locked)
			runWorkload(t, o, s, 8, ops/3)
			v := o.Verify()
			if v.Stale+v.Foreign+v.Corrupt != 0 {
				t.Fatalf("findings on a correct store: %+v", v)
			}
			if v.Checked == 0 {
				t.Fatal("nothing checked")
			}
			t.Logf("checked %d pages, %d torn reads excused", v.Checked, o.Torn())
			finalCheck(t, o, s)
		})
	}
}

// TestConcurrentRacingWriters lets writers of one page race without
// serialization (a store through a mapping against write(2)): pages may be left
// torn, which is not a finding.
func TestConcurrentRacingWriters(t *testing.T) {
	o := New(1, 2, Full)
	s := newStore(1, 2, false)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 9))
			page := make([]byte, PageSize)
			var floor [1]int64
			for range 3000 {
				idx := rnd.IntN(2)
				if rnd.IntN(2) == 0 {
					g := o.BeginWrite(0, uint64(idx))
					Fill(page, 1, uint64(idx), g)
					s.write(0, idx, page, false) // racing writers
					o.EndWrite(0, uint64(idx), g)
					continue
				}
				o.Snapshot(0, uint64(idx), floor[:])
				s.read(0, idx, page, rnd)
				o.Check(OpRead, 0, uint64(idx), floor[0], page)
			}
		}()
	}
	wg.Wait()
	if v := o.Verify(); v.Stale+v.Foreign+v.Corrupt != 0 {
		t.Fatalf("findings: %+v", v)
	}
	finalCheck(t, o, s)
}

func TestConcurrentStaleStore(t *testing.T) {
	o := New(2, 24, Header)
	s := newStore(2, 24, true)
	s.stale = true
	runWorkload(t, o, s, 4, 20_000)
	v := o.Verify()
	if v.Stale == 0 {
		t.Fatalf("a store returning old values went unnoticed: %+v", v)
	}
	if v.Foreign != 0 || v.Corrupt != 0 {
		t.Fatalf("old values of the right page reported as foreign or corrupt: %+v", v)
	}
	t.Logf("stale %d of %d; first: %q", v.Stale, v.Checked, v.Examples[0])
}
