package blockdev

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestAllocatorAscendingThenLIFO(t *testing.T) {
	a := NewAllocator(10)
	for want := uint64(1); want <= 5; want++ {
		got, err := a.Alloc(1)
		if err != nil || got != want {
			t.Fatalf("Alloc = %d, %v; want %d", got, err, want)
		}
	}
	// Free 2, 4, 3: they come back newest first, before any never-used block.
	for _, b := range []uint64{2, 4, 3} {
		if err := a.Free(b); err != nil {
			t.Fatalf("Free(%d): %v", b, err)
		}
	}
	var got []uint64
	for range 5 {
		b, err := a.Alloc(1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if want := []uint64{3, 4, 2, 6, 7}; !slices.Equal(got, want) {
		t.Fatalf("allocation order %v, want %v", got, want)
	}
	if a.Used() != 7 || a.FreeCount() != 3 || a.Blocks() != 10 {
		t.Fatalf("Used %d FreeCount %d Blocks %d", a.Used(), a.FreeCount(), a.Blocks())
	}
}

func TestAllocatorGoal(t *testing.T) {
	a := NewAllocator(130)
	alloc := func(goal uint64) uint64 {
		t.Helper()
		b, err := a.Alloc(goal)
		if err != nil {
			t.Fatalf("Alloc(%d): %v", goal, err)
		}
		return b
	}
	// Two files of 10 blocks written at once, each page aimed at its place in its file's
	// extent (1.. and 11..): each file is contiguous however the writes interleave.
	for i := uint64(0); i < 10; i++ {
		if b := alloc(1 + i); b != 1+i {
			t.Fatalf("file 0 page %d got block %d, want %d", i, b, 1+i)
		}
		if b := alloc(11 + i); b != 11+i {
			t.Fatalf("file 1 page %d got block %d, want %d", i, b, 11+i)
		}
	}
	for _, c := range []struct{ goal, want uint64 }{
		{5, 21},    // taken: the first free after it
		{63, 63},   // free
		{64, 64},   // free, in the next bitmap word
		{0, 22},    // outside 1..n: aimed at 1, whose first free is 22
		{500, 23},  // the same
		{128, 128}, // free
		{130, 130}, // the last block
	} {
		if b := alloc(c.goal); b != c.want {
			t.Errorf("Alloc(%d) = %d, want %d", c.goal, b, c.want)
		}
	}
	// Past n the search wraps to block 1; a freed block still comes back first.
	for b := uint64(24); b <= 127; b++ {
		if b != 63 && b != 64 {
			alloc(b)
		}
	}
	if b := alloc(129); b != 129 {
		t.Fatalf("Alloc(129) = %d", b)
	}
	if err := a.Free(3); err != nil {
		t.Fatal(err)
	}
	if b := alloc(129); b != 3 {
		t.Fatalf("Alloc(129) after Free(3) = %d, want 3 (the freed block)", b)
	}
	if _, err := a.Alloc(129); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Alloc on a full allocator: %v", err)
	}
	// A never-used block before the goal is found by the wrap.
	a = NewAllocator(130)
	for b := uint64(2); b <= 130; b++ {
		alloc(b)
	}
	if b := alloc(125); b != 1 {
		t.Fatalf("Alloc(125) with only block 1 free = %d, want 1", b)
	}
}

func TestAllocatorFreedBlockIsNextOut(t *testing.T) {
	a := NewAllocator(100)
	for range 50 {
		if _, err := a.Alloc(1); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Free(17); err != nil {
		t.Fatal(err)
	}
	if b, _ := a.Alloc(1); b != 17 {
		t.Fatalf("after Free(17), Alloc = %d", b)
	}
}

func TestAllocatorErrors(t *testing.T) {
	a := NewAllocator(3)
	for range 3 {
		if _, err := a.Alloc(1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Alloc(1); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Alloc on full allocator: %v, want ErrNoSpace", err)
	}
	if err := a.Free(2); err != nil {
		t.Fatal(err)
	}
	if err := a.Free(2); !errors.Is(err, ErrDoubleFree) {
		t.Fatalf("double Free: %v, want ErrDoubleFree", err)
	}
	for _, b := range []uint64{0, 4, 1 << 40} {
		if err := a.Free(b); !errors.Is(err, ErrRange) {
			t.Errorf("Free(%d): %v, want ErrRange", b, err)
		}
		if a.IsFree(b) {
			t.Errorf("IsFree(%d) = true for an out-of-range block", b)
		}
	}
	if !a.IsFree(2) || a.IsFree(1) || a.IsFree(3) {
		t.Fatalf("IsFree wrong: 1=%v 2=%v 3=%v", a.IsFree(1), a.IsFree(2), a.IsFree(3))
	}
	if a.Used() != 2 || a.FreeCount() != 1 {
		t.Fatalf("Used %d FreeCount %d after a failed double free", a.Used(), a.FreeCount())
	}
	if b, err := a.Alloc(1); b != 2 || err != nil {
		t.Fatalf("Alloc = %d, %v; want 2", b, err)
	}
}

func TestAllocatorEmpty(t *testing.T) {
	a := NewAllocator(0)
	if _, err := a.Alloc(1); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Alloc: %v", err)
	}
}

func TestAllocatorConcurrent(t *testing.T) {
	const n, workers = 1000, 8
	a := NewAllocator(n)
	var wg sync.WaitGroup
	results := make([][]uint64, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range 2000 {
				b, err := a.Alloc(1)
				if err != nil {
					continue
				}
				if i%3 == 0 {
					if err := a.Free(b); err != nil {
						t.Error(err)
					}
					continue
				}
				results[w] = append(results[w], b)
			}
		})
	}
	wg.Wait()
	seen := make(map[uint64]bool)
	for _, r := range results {
		for _, b := range r {
			if seen[b] {
				t.Fatalf("block %d handed out twice", b)
			}
			seen[b] = true
		}
	}
	if a.Used() != uint64(len(seen)) || a.usedBits() != a.Used() {
		t.Fatalf("Used %d, bitmap %d, held %d", a.Used(), a.usedBits(), len(seen))
	}
}

// FuzzAllocator runs random alloc/free sequences against a set model that also predicts the
// exact block each Alloc returns (LIFO reuse, then the first free block from the goal on).
func FuzzAllocator(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 2, 2, 0, 3, 7, 0, 0})
	f.Add([]byte{1, 0, 0, 3, 2, 0})
	f.Add([]byte{63, 0, 1, 4, 8, 12, 2, 6, 10, 3, 255, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		n := uint64(ops[0]%64) + 1
		a := NewAllocator(n)
		held := map[uint64]bool{}
		var stack []uint64 // model of the free stack
		for _, op := range ops[1:] {
			switch op % 4 {
			case 0, 1:
				goal := uint64(op>>2) % (n + 2) // 0 and n+1 aim outside 1..n
				var want uint64
				switch {
				case len(stack) > 0:
					want = stack[len(stack)-1]
					stack = stack[:len(stack)-1]
				case uint64(len(held)) < n:
					want = goal
					if want == 0 || want > n {
						want = 1
					}
					for held[want] {
						want = want%n + 1
					}
				}
				got, err := a.Alloc(goal)
				if want == 0 {
					if !errors.Is(err, ErrNoSpace) || uint64(len(held)) != n {
						t.Fatalf("Alloc = %d, %v with %d/%d held; want ErrNoSpace", got, err, len(held), n)
					}
					continue
				}
				if err != nil || got != want || held[got] {
					t.Fatalf("Alloc = %d, %v; want %d (held: %v)", got, err, want, held[got])
				}
				held[got] = true
			case 2: // free a held block
				if len(held) == 0 {
					continue
				}
				keys := make([]uint64, 0, len(held))
				for b := range held {
					keys = append(keys, b)
				}
				slices.Sort(keys)
				b := keys[int(op>>2)%len(keys)]
				if err := a.Free(b); err != nil {
					t.Fatalf("Free(%d) of a held block: %v", b, err)
				}
				delete(held, b)
				stack = append(stack, b)
			case 3: // free any block number, possibly not held or out of range
				b := uint64(op>>2) % (n + 2)
				err := a.Free(b)
				switch {
				case b == 0 || b > n:
					if !errors.Is(err, ErrRange) {
						t.Fatalf("Free(%d) out of range: %v", b, err)
					}
				case held[b]:
					if err != nil {
						t.Fatalf("Free(%d): %v", b, err)
					}
					delete(held, b)
					stack = append(stack, b)
				default:
					if !errors.Is(err, ErrDoubleFree) {
						t.Fatalf("Free(%d) of a free block: %v, want ErrDoubleFree", b, err)
					}
				}
			}
			if a.Used() != uint64(len(held)) || a.FreeCount() != n-uint64(len(held)) || a.usedBits() != a.Used() {
				t.Fatalf("Used %d FreeCount %d bitmap %d; model holds %d of %d", a.Used(), a.FreeCount(), a.usedBits(), len(held), n)
			}
		}
		for b := uint64(0); b <= n+1; b++ {
			if want := b >= 1 && b <= n && !held[b]; a.IsFree(b) != want {
				t.Fatalf("IsFree(%d) = %v, want %v", b, !want, want)
			}
		}
	})
}
