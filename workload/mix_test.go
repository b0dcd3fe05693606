package workload

import (
	"math"
	"testing"
)

func TestKindNames(t *testing.T) {
	for k := range NumKinds {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("fsync"); err == nil {
		t.Error("ParseKind(fsync) succeeded")
	}
}

func TestMixProportions(t *testing.T) {
	m, err := NewMix(map[string]float64{"read": 7, "write": 2, "punch": 1, "advise": 0}, 9)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100000
	var got [NumKinds]int
	for range n {
		got[m.Next()]++
	}
	for k, want := range map[Kind]float64{Read: .7, Write: .2, Punch: .1, Advise: 0} {
		if f := float64(got[k]) / n; math.Abs(f-want) > 0.01 {
			t.Errorf("%v drawn %.3f of the time, want %.2f", k, f, want)
		}
	}
	for _, bad := range []map[string]float64{nil, {"read": 0}, {"read": -1}, {"read": math.Inf(1)}, {"nope": 1}} {
		if _, err := NewMix(bad, 1); err == nil {
			t.Errorf("NewMix(%v) succeeded", bad)
		}
	}
}

func TestGenerator(t *testing.T) {
	spec := Spec{
		Mix:   map[string]float64{"read": 1, "write": 1, "fault": 1, "mkwrite": 1, "punch": 1, "truncate": 1, "zero": 1, "advise": 1},
		Files: []int{2, 5}, Pattern: "zipf", ZipfS: 1.2,
		FileSize: 16 << 20, BlockSize: 16 << 10, RangeSize: 1 << 20, Seed: 1, Worker: 2,
	}
	g, err := NewGenerator(spec)
	if err != nil {
		t.Fatal(err)
	}
	var kinds [NumKinds]int
	for range 10000 {
		op := g.Next()
		kinds[op.Kind]++
		if op.File != 2 && op.File != 5 {
			t.Fatalf("op on file %d", op.File)
		}
		var align, length int64
		switch op.Kind {
		case Read, Write:
			align, length = spec.BlockSize, spec.BlockSize
		case Fault, MkWrite:
			align, length = spec.BlockSize, PageSize
		case Truncate:
			align, length = spec.RangeSize, 0
		default:
			align, length = spec.RangeSize, spec.RangeSize
		}
		if op.Off%align != 0 || op.Len != length || op.Off < 0 || op.Off+op.Len > spec.FileSize {
			t.Fatalf("bad op %+v", op)
		}
	}
	for k, c := range kinds {
		if c == 0 {
			t.Errorf("%v never drawn", Kind(k))
		}
	}
	if a := testing.AllocsPerRun(1000, func() { g.Next() }); a != 0 {
		t.Errorf("%v allocs per Generator.Next", a)
	}
	spec.BlockSize = 1000
	if _, err := NewGenerator(spec); err == nil {
		t.Error("NewGenerator accepted a block size that is not a page multiple")
	}
}
