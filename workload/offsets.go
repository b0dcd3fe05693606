package workload

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// Pattern is the way offsets are drawn inside a region.
type Pattern uint8

// The patterns.
const (
	Seq  Pattern = iota // sequential, wrapping around, per-worker start
	Rand                // uniform random blocks
	Zipf                // Zipf-distributed block ranks, scattered by a fixed permutation
)

func (p Pattern) String() string {
	switch p {
	case Seq:
		return "seq"
	case Rand:
		return "rand"
	case Zipf:
		return "zipf"
	}
	return fmt.Sprintf("Pattern(%d)", uint8(p))
}

// ParsePattern parses "seq", "rand" or "zipf".
func ParsePattern(s string) (Pattern, error) {
	for p := Seq; p <= Zipf; p++ {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("workload: unknown pattern %q (want seq, rand or zipf)", s)
}

// Offsets draws block-aligned byte offsets inside a region. An Offsets belongs
// to one goroutine.
type Offsets interface {
	// Next returns an offset off with off%bs == 0 and
	// regionOff <= off && off+bs <= regionOff+regionSize.
	Next() int64
}

// golden is 2^64 / φ, the multiplier of the Weyl sequence frac(i·φ⁻¹).
const golden = 0x9E3779B97F4A7C15

// streamSeed derives the second PCG word from the worker index, so workers that
// share a seed draw different streams.
func streamSeed(worker int) uint64 {
	z := uint64(worker)*golden + 0xD1B54A32D192ED03
	z ^= z >> 31
	z *= 0xBF58476D1CE4E5B9
	z ^= z >> 29
	return z
}

// NewOffsets returns a generator of bs-aligned offsets in
// [regionOff, regionOff+regionSize) with the named pattern ("seq", "rand",
// "zipf"). worker is the index of the worker that will own it: it picks the
// starting block of seq and, with seed, the random stream. zipfS is the Zipf
// exponent (it must be > 1) and is ignored by the other patterns. regionOff must
// be a multiple of bs and the region must hold at least one block; a tail
// shorter than bs is never drawn.
func NewOffsets(pattern string, seed uint64, worker int, regionOff, regionSize, bs int64, zipfS float64) (Offsets, error) {
	p, err := ParsePattern(pattern)
	if err != nil {
		return nil, err
	}
	switch {
	case bs <= 0:
		return nil, fmt.Errorf("workload: block size %d must be positive", bs)
	case regionOff < 0:
		return nil, fmt.Errorf("workload: region offset %d is negative", regionOff)
	case regionOff%bs != 0:
		return nil, fmt.Errorf("workload: region offset %d is not a multiple of the block size %d", regionOff, bs)
	case regionSize < bs:
		return nil, fmt.Errorf("workload: region size %d holds no block of %d bytes", regionSize, bs)
	case regionOff > math.MaxInt64-regionSize:
		return nil, errors.New("workload: region end overflows int64")
	}
	n := uint64(regionSize / bs)
	base := offBase{off: regionOff, bs: bs, n: n}
	r := rand.New(rand.NewPCG(seed, streamSeed(worker)))
	switch p {
	case Seq:
		hi, _ := bits.Mul64(uint64(worker)*golden, n) // floor(frac(worker/φ) · n)
		return &seqOffsets{offBase: base, next: hi}, nil
	case Rand:
		return &randOffsets{offBase: base, r: r}, nil
	default:
		if !(zipfS > 1) || math.IsInf(zipfS, 0) {
			return nil, fmt.Errorf("workload: zipf exponent %v must be a finite number > 1", zipfS)
		}
		z := rand.NewZipf(r, zipfS, 1, n-1)
		if z == nil {
			return nil, fmt.Errorf("workload: bad zipf parameters s=%v n=%d", zipfS, n)
		}
		return &zipfOffsets{offBase: base, z: z, perm: newAffinePerm(n)}, nil
	}
}

// offBase turns a block index into a byte offset.
type offBase struct {
	off, bs int64
	n       uint64 // blocks in the region
}

func (b *offBase) at(block uint64) int64 { return b.off + int64(block)*b.bs }

type seqOffsets struct {
	offBase
	next uint64
}

func (s *seqOffsets) Next() int64 {
	b := s.next
	if s.next++; s.next == s.n {
		s.next = 0
	}
	return s.at(b)
}

type randOffsets struct {
	offBase
	r *rand.Rand
}

func (o *randOffsets) Next() int64 { return o.at(o.r.Uint64N(o.n)) }

type zipfOffsets struct {
	offBase
	z    *rand.Zipf
	perm affinePerm
}

func (o *zipfOffsets) Next() int64 { return o.at(o.perm.apply(o.z.Uint64())) }

// affinePerm is the bijection k -> (a·k + b) mod n of [0, n), with a coprime to
// n. a ≈ n/φ, so consecutive ranks land far apart and the hottest ranks are
// spread evenly over the region; b moves rank 0 away from the region start.
type affinePerm struct{ a, b, n uint64 }

func newAffinePerm(n uint64) affinePerm {
	a, _ := bits.Mul64(golden, n)
	if a == 0 {
		a = 1
	}
	for gcd(a, n) != 1 {
		a++
	}
	b, _ := bits.Mul64(0x5851F42D4C957F2D, n) // an arbitrary fixed fraction of n
	return affinePerm{a: a % n, b: b, n: n}
}

func (p affinePerm) apply(k uint64) uint64 {
	hi, lo := bits.Mul64(p.a, k)
	lo, c := bits.Add64(lo, p.b, 0)
	return bits.Rem64(hi+c, lo, p.n)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
