package ktrace

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// fixtureTGID reads the "# tgid=N" line record.sh puts first: fio's process.
func fixtureTGID(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	v, ok := strings.CutPrefix(sc.Text(), "# tgid=")
	n, err := strconv.Atoi(v)
	if !ok || err != nil {
		t.Fatalf("%s: first line %q, want # tgid=N", path, sc.Text())
	}
	return n
}

// reportText shows a report one line per figure: each lock row with its
// histogram's nonzero buckets (bucket:count), the pauses, the unavailable parts.
func reportText(r Report) string {
	var b strings.Builder
	for _, l := range r.Locks {
		fmt.Fprintf(&b, "lock %s site %s mode %s: acquisitions %d contended %d wait %dns hist", l.Lock, l.Site, l.Mode,
			l.Acquisitions, l.Contended, l.WaitNs)
		for i, c := range l.WaitHist {
			if c != 0 {
				fmt.Fprintf(&b, " %d:%d", i, c)
			}
		}
		b.WriteByte('\n')
	}
	if p := r.DirtyPauses; p != nil {
		fmt.Fprintf(&b, "dirty pauses: count %d total %dns p99 %dns max %dns\n", p.Count, p.TotalNs, p.P99Ns, p.MaxNs)
	}
	for _, u := range r.Unavailable {
		fmt.Fprintf(&b, "unavailable: %s\n", u)
	}
	return b.String()
}

// TestGolden parses the recorded XFS, ext4 and btrfs traces (record.sh) and compares
// the report, as text, with the golden file.
func TestGolden(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4", "btrfs"} {
		t.Run(fs, func(t *testing.T) {
			in := filepath.Join("testdata", fs+".trace")
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := Parse(f, fixtureTGID(t, in))
			if err != nil {
				t.Fatal(err)
			}
			got := []byte(reportText(r))
			golden := filepath.Join("testdata", fs+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report of %s differs from %s (run with -update to accept):\n%s", in, golden, got)
			}
		})
	}
}
