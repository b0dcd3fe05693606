package vfs_test

import (
	"testing"

	"github.com/rwbench/rwbench/refmodel"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

const (
	fuzzFiles  = 2
	fuzzPages  = 16
	fuzzMaxOps = 64
)

// encodeOps is the inverse of decodeOps for ops it can express, for seeds.
func encodeOps(ops []op) []byte {
	var b []byte
	for _, o := range ops {
		l := o.n/ps - 1
		switch o.kind {
		case opTruncate, opWrite:
			l = o.n / ps
		case opFaultRead, opFaultWrite, opQuiesce:
			l = 0
		}
		b = append(b, byte(o.kind), byte(o.file), byte(o.off/ps), byte(l))
	}
	return b
}

// FuzzOpStream decodes bytes into a short op stream (2 files of 16 pages, an
// 8-page cache so reclaim runs) and runs it on the invalidate strategy and on
// the reference model: the transcripts must be identical, and fsck and the lock
// validator must be clean. The same bytes decoded by refmodel.DecodeOps must
// give the model the shared reference package's transcript too.
func FuzzOpStream(f *testing.F) {
	f.Add([]byte{})
	// write two pages, read them, punch one, read again, quiesce, read cold
	f.Add(encodeOps([]op{
		{kind: opWrite, file: 0, off: 2 * ps, n: 2 * ps},
		{kind: opRead, file: 0, off: 0, n: 8 * ps},
		{kind: opPunch, file: 0, off: 3 * ps, n: ps},
		{kind: opRead, file: 0, off: 2 * ps, n: 2 * ps},
		{kind: opQuiesce},
		{kind: opRead, file: 0, off: 0, n: 16 * ps},
	}))
	// mkwrite a hole, fault it back, truncate below it, fault past EOF, grow
	f.Add(encodeOps([]op{
		{kind: opFaultWrite, file: 1, off: 5 * ps},
		{kind: opFaultRead, file: 1, off: 5 * ps},
		{kind: opTruncate, file: 1, n: 4 * ps},
		{kind: opFaultRead, file: 1, off: 5 * ps},
		{kind: opRead, file: 1, off: 0, n: 16 * ps},
		{kind: opTruncate, file: 1, n: 16 * ps},
		{kind: opFaultRead, file: 1, off: 5 * ps},
	}))
	// zero range keeps blocks as unwritten extents; advise, reuse
	f.Add(encodeOps([]op{
		{kind: opWrite, file: 0, off: 0, n: 8 * ps},
		{kind: opQuiesce},
		{kind: opZero, file: 0, off: 2 * ps, n: 4 * ps},
		{kind: opAdvise, file: 0, off: 0, n: 16 * ps},
		{kind: opRead, file: 0, off: 0, n: 8 * ps},
		{kind: opFaultWrite, file: 0, off: 3 * ps},
		{kind: opPunch, file: 0, off: 0, n: 2 * ps},
		{kind: opWrite, file: 1, off: 0, n: 2 * ps},
	}))
	// past the maximum size
	f.Add(encodeOps([]op{
		{kind: opWrite, file: 0, off: 15 * ps, n: 2 * ps},
		{kind: opTruncate, file: 0, n: 17 * ps},
		{kind: opFaultRead, file: 0, off: 16 * ps},
		{kind: opPunch, file: 0, off: 14 * ps, n: 4 * ps},
	}))
	for seed := range uint64(3) {
		f.Add(encodeOps(genOps(seed, 48, fuzzFiles, fuzzPages)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := decodeOps(data, fuzzFiles, fuzzPages, fuzzMaxOps)
		want := runOps(newRefFS(fuzzFiles, fuzzPages), nil, ops, nil)
		r := runModel(t, strategies.Invalidate(), fuzzFiles, fuzzPages, 8, ops)
		if len(r.problems) > 0 {
			t.Errorf("%d problems, first: %s", len(r.problems), r.problems[0])
		}
		if d := diffTranscripts("reference", want, "invalidate", r.transcript); d != "" {
			t.Errorf("the model differs from the reference: %s", d)
		}

		// The same bytes through the shared reference package's decoder.
		rops := refmodel.DecodeOps(data, fuzzFiles, fuzzPages*ps)
		rwant, err := refmodel.Run(refmodel.New(fuzzFiles, fuzzPages*ps), rops, fuzzFiles)
		if err != nil {
			t.Fatal(err)
		}
		fs := newFS(t, "invalidate", vfs.Options{CacheBytes: 8 * ps, FaultAroundPages: 16})
		tk := fs.NewTask()
		defer tk.Close()
		rgot, err := refmodel.Run(tk, rops, fuzzFiles)
		if err != nil {
			t.Fatal(err)
		}
		if d := refmodel.Diff(rwant, rgot); d != "" {
			t.Errorf("the model differs from refmodel: %s", d)
		}
	})
}
