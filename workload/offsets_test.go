package workload

import (
	"math"
	"slices"
	"testing"
)

func TestOffsetsTable(t *testing.T) {
	const draws = 20000
	tests := []struct {
		name                string
		pattern             string
		worker              int
		off, size, bs       int64
		s                   float64
		wantErr             bool
		wantAllBlocksInSeqs bool
	}{
		{name: "seq", pattern: "seq", off: 0, size: 1 << 20, bs: 4096, wantAllBlocksInSeqs: true},
		{name: "seq worker 3 offset region", pattern: "seq", worker: 3, off: 1 << 20, size: 1 << 20, bs: 4096, wantAllBlocksInSeqs: true},
		{name: "seq ragged tail", pattern: "seq", off: 8192, size: 10*4096 + 100, bs: 4096, wantAllBlocksInSeqs: true},
		{name: "seq one block", pattern: "seq", off: 0, size: 4096, bs: 4096, wantAllBlocksInSeqs: true},
		{name: "rand", pattern: "rand", off: 64 << 10, size: 1 << 20, bs: 64 << 10},
		{name: "rand one block", pattern: "rand", off: 0, size: 4096, bs: 4096},
		{name: "zipf", pattern: "zipf", off: 0, size: 64 << 20, bs: 4096, s: 1.1},
		{name: "zipf one block", pattern: "zipf", off: 4096, size: 4096, bs: 4096, s: 2},
		{name: "zipf huge region", pattern: "zipf", off: 0, size: 1 << 50, bs: 4096, s: 1.01},
		{name: "bad pattern", pattern: "uniform", size: 4096, bs: 4096, wantErr: true},
		{name: "zero bs", pattern: "seq", size: 4096, bs: 0, wantErr: true},
		{name: "region smaller than block", pattern: "rand", size: 4095, bs: 4096, wantErr: true},
		{name: "misaligned region", pattern: "rand", off: 512, size: 1 << 20, bs: 4096, wantErr: true},
		{name: "negative offset", pattern: "rand", off: -4096, size: 1 << 20, bs: 4096, wantErr: true},
		{name: "overflow", pattern: "rand", off: math.MaxInt64 &^ 4095, size: 1 << 20, bs: 4096, wantErr: true},
		{name: "zipf s=1", pattern: "zipf", size: 1 << 20, bs: 4096, s: 1, wantErr: true},
		{name: "zipf s NaN", pattern: "zipf", size: 1 << 20, bs: 4096, s: math.NaN(), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewOffsets(tt.pattern, 42, tt.worker, tt.off, tt.size, tt.bs, tt.s)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewOffsets succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := tt.size / tt.bs
			seen := make(map[int64]bool)
			var prev int64 = -1
			for i := 0; i < draws; i++ {
				off := o.Next()
				checkOffset(t, off, tt.off, tt.size, tt.bs)
				if tt.pattern == "seq" && prev >= 0 {
					want := prev + tt.bs
					if want+tt.bs > tt.off+n*tt.bs {
						want = tt.off // wrap
					}
					if off != want {
						t.Fatalf("seq: %d after %d, want %d", off, prev, want)
					}
				}
				prev = off
				seen[off] = true
			}
			if tt.wantAllBlocksInSeqs && int64(len(seen)) != n {
				t.Errorf("seq visited %d distinct blocks, want all %d", len(seen), n)
			}
		})
	}
}

func checkOffset(t *testing.T, off, regionOff, regionSize, bs int64) {
	t.Helper()
	if off%bs != 0 {
		t.Fatalf("offset %d is not a multiple of %d", off, bs)
	}
	if off < regionOff || off > regionOff+regionSize-bs {
		t.Fatalf("offset %d (+%d) is outside [%d, %d)", off, bs, regionOff, regionOff+regionSize)
	}
}

func TestSeqWorkersStartApart(t *testing.T) {
	const blocks = 1000
	var starts []int64
	for w := range 8 {
		o, err := NewOffsets("seq", 1, w, 0, blocks*4096, 4096, 0)
		if err != nil {
			t.Fatal(err)
		}
		starts = append(starts, o.Next()/4096)
	}
	if starts[0] != 0 {
		t.Errorf("worker 0 starts at block %d, want 0", starts[0])
	}
	slices.Sort(starts)
	for i := 1; i < len(starts); i++ {
		// The golden-ratio sequence keeps 8 points at least ~blocks/(8·φ²) apart.
		if gap := starts[i] - starts[i-1]; gap < blocks/25 {
			t.Errorf("seq starts %v: gap %d too small", starts, gap)
		}
	}
}

func TestRandCoversAndDiffersPerWorker(t *testing.T) {
	a, _ := NewOffsets("rand", 7, 0, 0, 100*4096, 4096, 0)
	b, _ := NewOffsets("rand", 7, 1, 0, 100*4096, 4096, 0)
	a2, _ := NewOffsets("rand", 7, 0, 0, 100*4096, 4096, 0)
	same, seen := 0, map[int64]bool{}
	for range 5000 {
		x, y := a.Next(), b.Next()
		if x != a2.Next() {
			t.Fatal("same seed and worker gave different streams")
		}
		if x == y {
			same++
		}
		seen[x] = true
	}
	if same > 200 { // expected 50
		t.Errorf("workers 0 and 1 agree on %d of 5000 draws", same)
	}
	if len(seen) != 100 {
		t.Errorf("rand visited %d of 100 blocks", len(seen))
	}
}

// TestZipfSkew measures the skew: with s=1.1 over 10000 blocks the hottest 1%
// of blocks get about 65% of the draws (uniform would give them 1%), and the
// hottest blocks are not clustered at the start of the region.
func TestZipfSkew(t *testing.T) {
	const blocks, draws = 10000, 200000
	for _, tc := range []struct {
		s        float64
		minShare float64
	}{{1.1, 0.5}, {1.5, 0.85}, {2, 0.95}} {
		o, err := NewOffsets("zipf", 3, 0, 0, blocks*4096, 4096, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, blocks)
		for range draws {
			counts[o.Next()/4096]++
		}
		idx := make([]int, blocks)
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return counts[b] - counts[a] })
		top := 0
		for _, i := range idx[:blocks/100] {
			top += counts[i]
		}
		share := float64(top) / draws
		t.Logf("s=%v: top 1%% of blocks got %.1f%% of draws; hottest blocks %v", tc.s, 100*share, idx[:5])
		if share < tc.minShare {
			t.Errorf("s=%v: top 1%% of blocks got %.3f of draws, want >= %v", tc.s, share, tc.minShare)
		}
		// Hot blocks are scattered: the 10 hottest are not all in the first tenth.
		inFirstTenth := 0
		for _, i := range idx[:10] {
			if i < blocks/10 {
				inFirstTenth++
			}
		}
		if inFirstTenth > 5 {
			t.Errorf("s=%v: %d of the 10 hottest blocks are in the first tenth: %v", tc.s, inFirstTenth, idx[:10])
		}
	}
	// Uniform for contrast.
	o, _ := NewOffsets("rand", 3, 0, 0, blocks*4096, 4096, 0)
	counts := make([]int, blocks)
	for range draws {
		counts[o.Next()/4096]++
	}
	slices.Sort(counts)
	top := 0
	for _, c := range counts[blocks-blocks/100:] {
		top += c
	}
	if share := float64(top) / draws; share > 0.05 {
		t.Errorf("rand: top 1%% of blocks got %.3f of draws", share)
	}
}

func TestAffinePermIsBijection(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 4, 5, 16, 97, 1000, 1024, 4099} {
		p := newAffinePerm(n)
		seen := make([]bool, n)
		for k := range n {
			v := p.apply(k)
			if v >= n || seen[v] {
				t.Fatalf("n=%d: apply(%d)=%d repeats or is out of range", n, k, v)
			}
			seen[v] = true
		}
	}
}

func TestOffsetsNoAlloc(t *testing.T) {
	for _, p := range []string{"seq", "rand", "zipf"} {
		o, _ := NewOffsets(p, 1, 0, 0, 1<<30, 4096, 1.2)
		if a := testing.AllocsPerRun(1000, func() { o.Next() }); a != 0 {
			t.Errorf("%s: %v allocs per Next", p, a)
		}
	}
}

func FuzzOffsets(f *testing.F) {
	f.Add(uint8(0), uint64(1), 0, int64(0), int64(1<<20), int64(4096), 1.1)
	f.Add(uint8(1), uint64(2), 5, int64(4096), int64(4097), int64(4096), 1.1)
	f.Add(uint8(2), uint64(3), -7, int64(1<<40), int64(1<<30), int64(512), 1.0001)
	f.Add(uint8(2), uint64(3), 1, int64(0), int64(math.MaxInt64), int64(1), 50.0)
	f.Fuzz(func(t *testing.T, p uint8, seed uint64, worker int, regionOff, regionSize, bs int64, s float64) {
		pattern := [...]string{"seq", "rand", "zipf"}[p%3]
		o, err := NewOffsets(pattern, seed, worker, regionOff, regionSize, bs, s)
		if err != nil {
			return
		}
		for range 64 {
			checkOffset(t, o.Next(), regionOff, regionSize, bs)
		}
	})
}
