package workload

import "fmt"

// PageSize is the page size the workload assumes: faults and page_mkwrite
// touch one page.
const PageSize = 4096

// Spec describes the operation stream of one worker.
type Spec struct {
	// Mix maps op names (see [Kind]) to relative weights.
	Mix map[string]float64
	// Files are the file indexes the worker touches, drawn uniformly.
	Files []int
	// Pattern is "seq", "rand" or "zipf"; ZipfS is the Zipf exponent (> 1).
	Pattern string
	ZipfS   float64
	// FileSize is the size of every file; offsets are drawn in [0, FileSize).
	FileSize int64
	// BlockSize is the length of reads and writes (a multiple of PageSize).
	BlockSize int64
	// RangeSize is the length of punch, zero and advise ranges, and the
	// granularity of truncate sizes; 0 means BlockSize.
	RangeSize int64
	// Seed and Worker select the random streams; see [NewOffsets].
	Seed   uint64
	Worker int
}

// Op is one operation for a runner.Worker.
type Op struct {
	Kind Kind
	File int
	// Off is the byte offset; for Truncate it is the new file size.
	Off int64
	// Len is the byte length: BlockSize for reads and writes, PageSize for
	// faults, RangeSize for punch, zero and advise, 0 for truncate.
	Len int64
}

// Generator draws a worker's operations: the kind from the mix, the file
// uniformly, the offset with the pattern (one [Offsets] at BlockSize for reads,
// writes and faults, one at RangeSize for punch, zero, advise and truncate).
// It belongs to one goroutine and does not allocate in Next.
type Generator struct {
	mix    *Mix
	files  *FilePicker
	blocks Offsets
	ranges Offsets
	bs, rs int64
}

// NewGenerator checks spec and returns its generator.
func NewGenerator(spec Spec) (*Generator, error) {
	if spec.BlockSize <= 0 || spec.BlockSize%PageSize != 0 {
		return nil, fmt.Errorf("workload: block size %d is not a positive multiple of %d", spec.BlockSize, PageSize)
	}
	rs := spec.RangeSize
	if rs == 0 {
		rs = spec.BlockSize
	}
	if rs < 0 || rs%PageSize != 0 {
		return nil, fmt.Errorf("workload: range size %d is not a positive multiple of %d", rs, PageSize)
	}
	if len(spec.Files) == 0 {
		return nil, fmt.Errorf("workload: no files")
	}
	mix, err := NewMix(spec.Mix, spec.Seed^0x3C6EF372FE94F82B+streamSeed(spec.Worker))
	if err != nil {
		return nil, err
	}
	blocks, err := NewOffsets(spec.Pattern, spec.Seed, spec.Worker, 0, spec.FileSize, spec.BlockSize, spec.ZipfS)
	if err != nil {
		return nil, err
	}
	ranges, err := NewOffsets(spec.Pattern, spec.Seed^0xA54FF53A5F1D36F1, spec.Worker, 0, spec.FileSize, rs, spec.ZipfS)
	if err != nil {
		return nil, err
	}
	return &Generator{
		mix:    mix,
		files:  NewFilePicker(spec.Files, spec.Seed^0x510E527FADE682D1+streamSeed(spec.Worker)),
		blocks: blocks,
		ranges: ranges,
		bs:     spec.BlockSize,
		rs:     rs,
	}, nil
}

// Next returns the next operation.
func (g *Generator) Next() Op {
	op := Op{Kind: g.mix.Next(), File: g.files.Next()}
	switch op.Kind {
	case Read, Write:
		op.Off, op.Len = g.blocks.Next(), g.bs
	case Fault, MkWrite:
		op.Off, op.Len = g.blocks.Next(), PageSize
	case Truncate:
		op.Off = g.ranges.Next()
	default:
		op.Off, op.Len = g.ranges.Next(), g.rs
	}
	return op
}
