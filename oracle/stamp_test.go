package oracle

import (
	"bytes"
	"testing"
)

func TestFillDecodeMatch(t *testing.T) {
	p := make([]byte, PageSize)
	Fill(p, 3, 17, 42)
	if string(p[:4]) != "RWB1" {
		t.Fatalf("magic %q", p[:4])
	}
	s, ok := Decode(p)
	if !ok || s != (Stamp{3, 17, 42}) {
		t.Fatalf("Decode = %+v, %v", s, ok)
	}
	if !Match(p, s) {
		t.Fatal("Match of a fresh page failed")
	}
	q := make([]byte, PageSize)
	Fill(q, 3, 17, 43)
	if bytes.Equal(p[HeaderSize:], q[HeaderSize:]) {
		t.Fatal("payloads of two gens are equal")
	}
	if Match(q, s) {
		t.Fatal("Match of another gen's page")
	}
	for _, i := range []int{0, 5, 27, 31, 32, 2048, PageSize - 1} {
		r := bytes.Clone(p)
		r[i] ^= 0x10
		if Match(r, s) {
			t.Errorf("Match with byte %d flipped", i)
		}
	}
	if IsZero(p) || !IsZero(make([]byte, PageSize)) || !IsZero(nil) {
		t.Fatal("IsZero")
	}
	z := make([]byte, PageSize)
	z[PageSize-1] = 1
	if IsZero(z) {
		t.Fatal("IsZero of a page with its last byte set")
	}
	if _, ok := Decode(make([]byte, PageSize)); ok {
		t.Fatal("Decode of a zero page")
	}
}

func FuzzDecode(f *testing.F) {
	p := make([]byte, PageSize)
	Fill(p, 1, 2, 3)
	f.Add(p, uint32(1), uint64(2), uint64(3), uint16(100))
	f.Add([]byte{}, uint32(0), uint64(0), uint64(0), uint16(0))
	f.Add([]byte("RWB1"), ^uint32(0), ^uint64(0), ^uint64(0), uint16(4095))
	f.Fuzz(func(t *testing.T, data []byte, ino uint32, idx, gen uint64, flip uint16) {
		// Arbitrary bytes: never panic, and a decoded header re-encodes the same.
		if s, ok := Decode(data); ok {
			q := make([]byte, PageSize)
			Fill(q, s.Ino, s.Idx, s.Gen)
			if !bytes.Equal(q[:HeaderSize-4], data[:HeaderSize-4]) {
				t.Fatalf("Decode accepted a header Fill does not write: %x", data[:HeaderSize])
			}
			Match(data, s)
		}
		IsZero(data)

		// Round trip.
		page := make([]byte, PageSize)
		Fill(page, ino, idx, gen)
		s, ok := Decode(page)
		if !ok || s != (Stamp{ino, idx, gen}) || !Match(page, s) {
			t.Fatalf("round trip of %d/%d/%d: %+v %v", ino, idx, gen, s, ok)
		}
		page[int(flip)%PageSize] ^= 1 << (flip >> 12 & 7)
		if Match(page, s) {
			t.Fatalf("Match after flipping a bit of byte %d", int(flip)%PageSize)
		}
	})
}
