// Package workload draws the offsets and files of the operations that the
// runner's workers execute, paces them, and records their latencies.
//
// Every piece is owned by one worker goroutine: a worker builds its own
// [Offsets] and [FilePicker], its own [Pacer] and one [Recorder] per op kind,
// and nothing in this package is shared
// between goroutines or takes a lock. The runner merges the recorders after
// the measurement window with [Merge]. Two workers given the same seed and
// different worker indexes draw different streams; the same seed and index
// reproduce the same stream.
//
// # Offsets
//
// [NewOffsets] draws block-aligned offsets inside a region of a file with one
// of three [Pattern]s:
//
//   - seq walks the region block by block and wraps around at its end. Each
//     worker starts at a different point, spread over the region by the
//     golden-ratio (Weyl) sequence, so N sequential workers do not all read
//     the same pages in lock step and need not know N.
//   - rand draws blocks uniformly.
//   - zipf draws block ranks from a Zipf distribution with exponent s > 1
//     (math/rand/v2's Zipf, P(rank k) ∝ (1+k)^-s) and maps ranks to blocks by
//     a fixed affine permutation of the region's block indices, so the hot
//     blocks are scattered over the file instead of piled up at its start.
//     The permutation depends only on the region's block count, so every
//     worker (and every target in a matrix) agrees on which blocks are hot.
//
// # Rates
//
// A [Pacer] implements open-loop load on a fixed schedule: op i is intended
// to start at start + i/rate whatever happened to op i-1. When an op runs
// late, the following ops start back to back until the schedule catches up,
// and their latency is measured from the intended start, so a stall is
// charged to every op it delayed (no coordinated omission). A rate of 0 is a
// closed loop: each op starts when the previous one ends.
//
// # Latency
//
// A [Recorder] holds an HDR histogram (1 ns to 100 s, 3 significant digits)
// plus exact count, bytes, sum, min and max, and a series of per-interval op
// counts. Record does one histogram RecordValue and a few adds and never
// allocates; the interval series grows by one element per interval.
package workload
