package oracle

import (
	"encoding/binary"
	"hash/crc32"
)

// PageSize is the size of a page and of a stamped block.
const PageSize = 4096

// HeaderSize is the size of a stamp's header at the start of a page.
const HeaderSize = 32

// Magic is the first word of every stamp: the bytes "RWB1".
const Magic uint32 = 'R' | 'W'<<8 | 'B'<<16 | '1'<<24

// Stamp names one value of one page: the page (Ino = file index + 1, Idx = page
// index in the file) and the mutation that wrote it (Gen, unique per file).
type Stamp struct {
	Ino uint32
	Idx uint64
	Gen uint64
}

// Fill writes the stamp (ino, idx, gen) into page, which must be PageSize bytes:
// a 32-byte header
//
//	0  magic "RWB1"   uint32
//	4  ino            uint32
//	8  idx            uint64
//	16 gen            uint64
//	24 crc32c(0..24)  uint32
//	28 zero           uint32
//
// and a payload of little-endian words from two interleaved xorshift64* streams
// seeded from (ino, idx, gen), each state step giving two words (two output
// multipliers). The lanes are independent, so the loop is not bound by the
// latency of one generator's dependency chain.
func Fill(page []byte, ino uint32, idx, gen uint64) {
	if len(page) != PageSize {
		panic("oracle: Fill needs a 4096-byte page")
	}
	h := page[:HeaderSize]
	binary.LittleEndian.PutUint32(h[0:], Magic)
	binary.LittleEndian.PutUint32(h[4:], ino)
	binary.LittleEndian.PutUint64(h[8:], idx)
	binary.LittleEndian.PutUint64(h[16:], gen)
	binary.LittleEndian.PutUint32(h[24:], headerCRC(h))
	binary.LittleEndian.PutUint32(h[28:], 0)

	a, b := seeds(ino, idx, gen)
	p := page[HeaderSize:PageSize]
	for i := 0; i+32 <= len(p); i += 32 {
		a, b = xorshift(a), xorshift(b)
		q := p[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(q[0:], a*xsMul)
		binary.LittleEndian.PutUint64(q[8:], b*xsMul)
		binary.LittleEndian.PutUint64(q[16:], a*xsMul2)
		binary.LittleEndian.PutUint64(q[24:], b*xsMul2)
	}
}

// Decode reads the stamp in page's header. It reports false when page is shorter
// than a header, the magic is wrong or the header checksum fails. It looks at the
// header only: Match checks the payload too.
func Decode(page []byte) (Stamp, bool) {
	if len(page) < HeaderSize {
		return Stamp{}, false
	}
	h := page[:HeaderSize]
	if binary.LittleEndian.Uint32(h[0:]) != Magic || binary.LittleEndian.Uint32(h[24:]) != headerCRC(h) {
		return Stamp{}, false
	}
	return Stamp{Ino: binary.LittleEndian.Uint32(h[4:]), Idx: binary.LittleEndian.Uint64(h[8:]), Gen: binary.LittleEndian.Uint64(h[16:])}, true
}

// Match reports whether page (PageSize bytes) is exactly what Fill writes for s:
// a valid header naming s and s's payload. It stops at the first differing word.
func Match(page []byte, s Stamp) bool {
	if len(page) != PageSize {
		return false
	}
	if got, ok := Decode(page); !ok || got != s || binary.LittleEndian.Uint32(page[28:]) != 0 {
		return false
	}
	return payloadMatches(page, s)
}

// payloadMatches compares the payload of page (PageSize bytes) with s's.
func payloadMatches(page []byte, s Stamp) bool {
	a, b := seeds(s.Ino, s.Idx, s.Gen)
	p := page[HeaderSize:PageSize]
	for i := 0; i+32 <= len(p); i += 32 {
		a, b = xorshift(a), xorshift(b)
		q := p[i : i+32 : i+32]
		if (binary.LittleEndian.Uint64(q[0:])^(a*xsMul))|(binary.LittleEndian.Uint64(q[8:])^(b*xsMul))|
			(binary.LittleEndian.Uint64(q[16:])^(a*xsMul2))|(binary.LittleEndian.Uint64(q[24:])^(b*xsMul2)) != 0 {
			return false
		}
	}
	return true
}

// IsZero reports whether every byte of page is zero.
func IsZero(page []byte) bool {
	i := 0
	for ; i+64 <= len(page); i += 64 {
		q := page[i : i+64 : i+64]
		if binary.LittleEndian.Uint64(q[0:])|binary.LittleEndian.Uint64(q[8:])|binary.LittleEndian.Uint64(q[16:])|binary.LittleEndian.Uint64(q[24:])|
			binary.LittleEndian.Uint64(q[32:])|binary.LittleEndian.Uint64(q[40:])|binary.LittleEndian.Uint64(q[48:])|binary.LittleEndian.Uint64(q[56:]) != 0 {
			return false
		}
	}
	for ; i < len(page); i++ {
		if page[i] != 0 {
			return false
		}
	}
	return true
}

// headerZero reports whether the 32-byte header h is all zero.
func headerZero(h []byte) bool {
	h = h[:HeaderSize]
	return binary.LittleEndian.Uint64(h[0:])|binary.LittleEndian.Uint64(h[8:])|binary.LittleEndian.Uint64(h[16:])|binary.LittleEndian.Uint64(h[24:]) == 0
}

// headerCRC is the CRC-32C (Castagnoli, hardware accelerated on amd64 and arm64)
// of the first 24 header bytes. MakeTable returns the package's cached table.
func headerCRC(h []byte) uint32 {
	return crc32.Checksum(h[:24], crc32.MakeTable(crc32.Castagnoli))
}

// xsMul is xorshift64*'s output multiplier; xsMul2, another odd constant, draws a
// second word from each state, which halves the work per word.
const (
	xsMul  = 0x2545F4914F6CDD1D
	xsMul2 = 0x9E3779B97F4A7C15
)

// xorshift advances one xorshift64* state; the outputs are state*xsMul and
// state*xsMul2.
func xorshift(x uint64) uint64 {
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	return x
}

// seeds derives two nonzero lane states from (ino, idx, gen) with splitmix64.
func seeds(ino uint32, idx, gen uint64) (a, b uint64) {
	s := uint64(ino)*0x9E3779B97F4A7C15 ^ idx*0xC2B2AE3D27D4EB4F ^ gen*0x165667B19E3779F9
	return splitmix(&s) | 1, splitmix(&s) | 1
}

func splitmix(s *uint64) uint64 {
	*s += 0x9E3779B97F4A7C15
	z := *s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}
