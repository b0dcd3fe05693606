package oracle

import "testing"

// benchOracle returns an oracle whose 1024 pages of file 0 have each been written
// once, with the pages and their floor words.
func benchOracle(b *testing.B, level Level) (*Oracle, [][]byte, []int64) {
	o := New(1, 1024, level)
	pages := make([][]byte, 1024)
	for i := range pages {
		g := o.BeginWrite(0, uint64(i))
		pages[i] = make([]byte, PageSize)
		Fill(pages[i], 1, uint64(i), g)
		o.EndWrite(0, uint64(i), g)
	}
	floors := make([]int64, 1024)
	o.Snapshot(0, 0, floors)
	return o, pages, floors
}

func benchCheck(b *testing.B, level Level) {
	o, pages, floors := benchOracle(b, level)
	c := o.NewChecker()
	b.SetBytes(PageSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if c.Check(OpRead, 0, uint64(i), floors[i], pages[i]) != OK {
			b.Fatal("finding")
		}
		i = (i + 1) & 1023
	}
}

func BenchmarkCheckHeader(b *testing.B) { benchCheck(b, Header) }
func BenchmarkCheckFull(b *testing.B)   { benchCheck(b, Full) }

func BenchmarkCheckHeaderZero(b *testing.B) {
	o := New(1, 1024, Header)
	c := o.NewChecker()
	page := make([]byte, PageSize)
	var floor [1]int64
	o.Snapshot(0, 7, floor[:])
	b.ReportAllocs()
	for b.Loop() {
		c.Check(OpRead, 0, 7, floor[0], page)
	}
}

// BenchmarkCheckHeaderParallel compares per-worker Checkers with the striped
// counters of Oracle.Check.
func BenchmarkCheckHeaderParallel(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "checker"
		if shared {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			o, pages, floors := benchOracle(b, Header)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c := o.NewChecker()
				i := 0
				for pb.Next() {
					if shared {
						o.Check(OpRead, 0, uint64(i), floors[i], pages[i])
					} else {
						c.Check(OpRead, 0, uint64(i), floors[i], pages[i])
					}
					i = (i + 17) & 1023
				}
			})
		})
	}
}

func BenchmarkFill(b *testing.B) {
	page := make([]byte, PageSize)
	b.SetBytes(PageSize)
	b.ReportAllocs()
	var gen uint64
	for b.Loop() {
		gen++
		Fill(page, 1, 7, gen)
	}
}

func BenchmarkBeginEndWrite(b *testing.B) {
	o := New(1, 1024, Header)
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		g := o.BeginWrite(0, i)
		o.EndWrite(0, i, g)
		i = (i + 1) & 1023
	}
}

func BenchmarkSnapshot8(b *testing.B) {
	o := New(1, 1024, Header)
	var floors [8]int64
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		o.Snapshot(0, i, floors[:])
		i = (i + 8) & 1023
	}
}
