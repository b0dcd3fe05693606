package ktrace

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser: it must not panic, and every
// row must be consistent (a histogram count per contention, no negative wait).
func FuzzParse(f *testing.F) {
	for _, fs := range []string{"xfs", "ext4", "btrfs"} {
		b, err := os.ReadFile("testdata/" + fs + ".trace")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b[:min(len(b), 4000)]), 0)
	}
	f.Add(ev(1, 1, "1.5", evBegin, "a (flags=READ)")+"\n"+ev(1, 1, "1.0", evEnd, "a (ret=0)"), 1)
	f.Add("  x-1 (1) [0] . 1.1: <stack trace>\n => a+0x1/0x2 [m]\n => b.isra.0", 1)
	f.Fuzz(func(t *testing.T, text string, tgid int) {
		r, err := Parse(strings.NewReader(text), tgid)
		if err != nil {
			return // a line too long for the scanner
		}
		for _, l := range r.Locks {
			var n int64
			for _, c := range l.WaitHist {
				n += c
			}
			if n != l.Contended || l.WaitNs < 0 || l.Contended <= 0 || l.Acquisitions != 0 {
				t.Fatalf("inconsistent row %+v", l)
			}
		}
		if p := r.DirtyPauses; p != nil && (p.Count <= 0 || p.P99Ns <= 0 || p.P99Ns > p.MaxNs || p.TotalNs < p.MaxNs) {
			t.Fatalf("inconsistent pauses %+v", p)
		}
	})
}
