package blockdev

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"
)

func fill(b []byte, seed byte) []byte {
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func TestMemoryRoundTrip(t *testing.T) {
	s := NewMemory(16, 0)
	if s.Kind() != KindMemory || s.FSType() != KindMemory || s.NumBlocks() != 16 {
		t.Fatalf("Kind %q FSType %q NumBlocks %d", s.Kind(), s.FSType(), s.NumBlocks())
	}
	w := [][]byte{fill(make([]byte, BlockSize), 1), fill(make([]byte, BlockSize), 2)}
	if err := s.WriteBlocks(15, w); err != nil {
		t.Fatal(err)
	}
	r := [][]byte{fill(make([]byte, BlockSize), 9), make([]byte, BlockSize), make([]byte, BlockSize)}
	if err := s.ReadBlocks(14, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r[0], make([]byte, BlockSize)) {
		t.Error("never-written block 14 is not zero")
	}
	if !bytes.Equal(r[1], w[0]) || !bytes.Equal(r[2], w[1]) {
		t.Error("blocks 15..16 differ from what was written")
	}
	for _, tc := range []struct {
		blk  uint64
		bufs [][]byte
		want error
	}{
		{0, w[:1], ErrRange},
		{17, w[:1], ErrRange},
		{16, w, ErrRange},
		{1, [][]byte{make([]byte, 100)}, ErrBufSize},
	} {
		if err := s.WriteBlocks(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
			t.Errorf("WriteBlocks(%d, %d bufs): %v, want %v", tc.blk, len(tc.bufs), err, tc.want)
		}
		if err := s.ReadBlocks(tc.blk, tc.bufs); !errors.Is(err, tc.want) {
			t.Errorf("ReadBlocks(%d, %d bufs): %v, want %v", tc.blk, len(tc.bufs), err, tc.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.ReadBlocks(1, r[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestMemoryLatency(t *testing.T) {
	for _, lat := range []time.Duration{30 * time.Microsecond, 3 * time.Millisecond} {
		s := NewMemory(4, lat)
		buf := [][]byte{make([]byte, BlockSize), make([]byte, BlockSize)}
		start := time.Now()
		if err := s.WriteBlocks(1, buf); err != nil {
			t.Fatal(err)
		}
		if err := s.ReadBlocks(1, buf); err != nil {
			t.Fatal(err)
		}
		// Once per call, not per block: two calls.
		if el := time.Since(start); el < 2*lat {
			t.Errorf("latency %v: two calls took %v, want >= %v", lat, el, 2*lat)
		}
	}
}

// TestMemoryConcurrentSameBlock checks, under -race, that a read racing a write of the same
// block sees one whole version.
func TestMemoryConcurrentSameBlock(t *testing.T) {
	s := NewMemory(2, 0)
	a, b := bytes.Repeat([]byte{0xaa}, BlockSize), bytes.Repeat([]byte{0xbb}, BlockSize)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			src := a
			if i%2 == 1 {
				src = b
			}
			for range 200 {
				if err := s.WriteBlocks(1, [][]byte{src}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			buf := make([]byte, BlockSize)
			for range 200 {
				if err := s.ReadBlocks(1, [][]byte{buf}); err != nil {
					t.Error(err)
				}
				if buf[0] != buf[BlockSize-1] {
					t.Error("torn block")
				}
			}
		})
	}
	wg.Wait()
}
