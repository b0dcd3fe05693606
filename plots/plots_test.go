package plots

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files in testdata")
	preview = flag.String("preview", "", "also render the fixture charts into this directory")
)

// TestDataGolden compares the plotted data of the fixture with the golden files.
func TestDataGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		file func(*testing.T) *results.File
	}{
		{"fixture", loadFixture},
		{"nosweep", noSweepFixture},
		{"memory", memoryFixture},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(Data(tc.file(t)), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if bytes.Equal(got, want) {
				return
			}
			// Floats may differ in their last bits between architectures (fused
			// multiply-add, assembly math): compare numbers with a tolerance.
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if where := jsonDiff("", g, w); where != "" {
				t.Errorf("%s differs from the data at %s (run go test -update if intended)", path, where)
			}
		})
	}
}

// jsonDiff returns the path of the first difference between two decoded JSON
// values, numbers being equal within a relative 1e-9; "" when they match.
func jsonDiff(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return path + fmt.Sprintf(" (got %v, want %v)", got, want)
		}
		for k := range w {
			if d := jsonDiff(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path + fmt.Sprintf(" (got %v, want %v)", got, want)
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-9*math.Max(math.Abs(g), math.Abs(w)) {
			return path + fmt.Sprintf(" (got %v, want %v)", got, want)
		}
	default:
		if got != want {
			return path + fmt.Sprintf(" (got %v, want %v)", got, want)
		}
	}
	return ""
}

// TestPreview renders the fixture's charts into the -preview directory.
func TestPreview(t *testing.T) {
	if *preview == "" {
		t.Skip("run with -preview dir to render the fixture charts")
	}
	clean := noSweepFixture(t)
	clean.Name = "punch-vs-fill-clean"
	for i := range clean.Results {
		for j := range clean.Results[i].Runs {
			clean.Results[i].Runs[j].Verify = results.Verify{Checked: 250000}
		}
	}
	paths, err := Write(*preview, []string{"png", "svg"}, loadFixture(t), noSweepFixture(t), clean)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d files into %s", len(paths), *preview)
}

// TestChartsOfFixture checks the charts and file names the fixture yields.
func TestChartsOfFixture(t *testing.T) {
	var names []string
	for _, c := range Data(loadFixture(t)).Charts {
		names = append(names, c.File)
		if !strings.HasPrefix(c.Title, "punch-vs-fill — ") {
			t.Errorf("%s: title %q does not start with the config name", c.File, c.Title)
		}
		if c.Machine != "AMD EPYC 7B13 64-Core Processor · 16 logical cores (CPUID) · kernel 6.8.0-1015-gcp" {
			t.Errorf("%s: machine header %q", c.File, c.Machine)
		}
		if c.XLabel == "" || c.YLabel == "" {
			t.Errorf("%s: missing axis label", c.File)
		}
	}
	want := []string{
		"punch-vs-fill-throughput-threads-2", "punch-vs-fill-throughput-threads-8",
		"punch-vs-fill-sweep-threads-read", "punch-vs-fill-sweep-threads-punch",
		"punch-vs-fill-latency-read-threads-2", "punch-vs-fill-latency-punch-threads-2",
		"punch-vs-fill-latency-read-threads-8", "punch-vs-fill-latency-punch-threads-8",
		"punch-vs-fill-timeline-read-threads-2", "punch-vs-fill-timeline-punch-threads-2",
		"punch-vs-fill-timeline-read-threads-8", "punch-vs-fill-timeline-punch-threads-8",
		"punch-vs-fill-locks-threads-2", "punch-vs-fill-locks-threads-8",
		"punch-vs-fill-findings-threads-2", "punch-vs-fill-findings-threads-8",
	}
	if !slices.Equal(names, want) {
		t.Errorf("charts:\n got %q\nwant %q", names, want)
	}

	var nosweep []string
	for _, c := range Data(noSweepFixture(t)).Charts {
		nosweep = append(nosweep, c.File)
		if c.Kind == KindSweep {
			t.Errorf("sweep chart %s without a sweep", c.File)
		}
	}
	for _, n := range []string{"punch-vs-fill-t8-throughput", "punch-vs-fill-t8-latency-read", "punch-vs-fill-t8-findings"} {
		if !slices.Contains(nosweep, n) {
			t.Errorf("no chart %s in %q", n, nosweep)
		}
	}
}

// TestWriteRenders renders every chart of the fixture as PNG and SVG.
func TestWriteRenders(t *testing.T) {
	dir := t.TempDir()
	f := loadFixture(t)
	paths, err := Write(dir, []string{"png", "svg"}, f)
	if err != nil {
		t.Fatal(err)
	}
	charts := len(Data(f).Charts)
	if len(paths) != 2*charts {
		t.Fatalf("wrote %d files, want %d (2 per chart)", len(paths), 2*charts)
	}
	for _, want := range []string{"punch-vs-fill-throughput-threads-8.png", "punch-vs-fill-latency-read-threads-2.svg"} {
		if !slices.Contains(paths, filepath.Join(dir, want)) {
			t.Errorf("%s not written", want)
		}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			t.Fatalf("%s is empty", p)
		}
		switch filepath.Ext(p) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if b := img.Bounds(); b.Dx() != 8*PNGDPI || b.Dy() != 5*PNGDPI {
				t.Errorf("%s is %dx%d, want %dx%d", p, b.Dx(), b.Dy(), 8*PNGDPI, 5*PNGDPI)
			}
		case ".svg":
			if !bytes.Contains(data, []byte("<svg")) {
				t.Errorf("%s is not an SVG document", p)
			}
		default:
			t.Errorf("unexpected file %s", p)
		}
	}
	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(paths) {
		t.Errorf("%d files in %s, want %d", len(entries), dir, len(paths))
	}
}

func TestWriteErrors(t *testing.T) {
	if _, err := Write(t.TempDir(), []string{"gif"}, loadFixture(t)); err == nil {
		t.Error("format gif accepted")
	}
	paths, err := Write(t.TempDir(), nil)
	if err != nil || len(paths) != 0 {
		t.Errorf("no files: got %q, %v; want nothing", paths, err)
	}
	// A hand-made chart that cannot be drawn is an error, not a panic.
	bad := &Dataset{Charts: []Chart{{File: "bad", Lines: &Lines{YLog: true, Series: []LineSeries{{Points: []Point{{X: 1, Y: -1}}}}}}}}
	if _, err := Draw(t.TempDir(), []string{"png"}, bad); err == nil {
		t.Error("a line chart without drawable points was drawn")
	}
}

// TestThroughputBar: a bar is the median of the runs; its whisker is the
// tables' interval (results.SummaryOf) when bounded, the runs' range when
// too few runs bound it, and absent for one run. A stored Summary is what the
// tables show, so it is what the bar shows.
func TestThroughputBar(t *testing.T) {
	runs := func(xs ...float64) []results.Run {
		var rs []results.Run
		for _, x := range xs {
			rs = append(rs, results.Run{Ops: map[string]results.OpStats{"read": {OpsPerSec: x}}})
		}
		return rs
	}
	six := []float64{90, 95, 100, 102, 104, 110}
	e := results.EstimateOf(six, results.DefaultConfidence)
	if e.Unbounded {
		t.Fatalf("six runs gave an unbounded interval: %+v", e)
	}
	bounded := results.Estimate{Median: 101, Lo: 95, Hi: 104, Confidence: 0.96875, N: 6}
	stored := results.Summary{Ops: map[string]results.OpSummary{"read": {OpsPerSec: bounded}}}
	for _, tc := range []struct {
		name          string
		cell          results.Cell
		value, lo, hi float64
		errorBar      bool
		whisker       string
		n             int
	}{
		{name: "no runs", n: 0},
		{name: "one run", cell: results.Cell{Runs: runs(7)}, value: 7, lo: 7, hi: 7, n: 1},
		{name: "three runs: the range", cell: results.Cell{Runs: runs(90, 110, 100)}, value: 100, lo: 90, hi: 110, errorBar: true, whisker: WhiskerRange, n: 3},
		{name: "six runs: the tables' interval", cell: results.Cell{Runs: runs(six...)}, value: e.Median, lo: e.Lo, hi: e.Hi, errorBar: true, whisker: WhiskerCI, n: 6},
		{name: "the stored summary", cell: results.Cell{Runs: runs(90, 110, 100), Summary: stored}, value: 101, lo: 95, hi: 104, errorBar: true, whisker: WhiskerCI, n: 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := throughputBar(&cell{res: &tc.cell}, "read")
			if b.N != tc.n || b.ErrorBar != tc.errorBar || b.Whisker != tc.whisker || b.Stat != StatMedian {
				t.Fatalf("got %+v, want N=%d ErrorBar=%v Whisker=%q", b, tc.n, tc.errorBar, tc.whisker)
			}
			if b.Value != tc.value || b.Lo != tc.lo || b.Hi != tc.hi {
				t.Errorf("got %g [%g, %g], want %g [%g, %g]", b.Value, b.Lo, b.Hi, tc.value, tc.lo, tc.hi)
			}
		})
	}
	if b := throughputBar(&cell{res: &results.Cell{Runs: runs(42)}}, "punch"); b.N != 0 {
		t.Errorf("absent op: got %+v, want no bar", b)
	}
}

// TestFormatUnit: axis labels in human units.
func TestFormatUnit(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{850, "ns", "850ns"}, {1000, "ns", "1µs"}, {2500, "ns", "2.5µs"}, {1e6, "ns", "1ms"},
		{1e9, "ns", "1s"}, {0, "ns", "0"}, {1e6, "", "1M"}, {1500, "", "1.5k"},
	} {
		if got := formatUnit(tc.v, tc.unit); got != tc.want {
			t.Errorf("formatUnit(%g, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

// TestNoFindings checks that a file without findings still gets its findings chart.
func TestNoFindings(t *testing.T) {
	f := noSweepFixture(t)
	for i := range f.Results {
		for j := range f.Results[i].Runs {
			f.Results[i].Runs[j].Verify = results.Verify{Checked: 1000}
		}
	}
	var found *Chart
	for _, c := range Data(f).Charts {
		if c.Kind == KindFindings {
			found = &c
		}
	}
	if found == nil {
		t.Fatal("no findings chart")
	}
	if !strings.HasSuffix(found.Title, ": no findings") || !strings.Contains(found.Note, "no findings in 9k pages checked") {
		t.Errorf("title %q, note %q", found.Title, found.Note)
	}
	if got := found.Bars.Groups; !slices.Equal(got, []string{"read", "corrupt"}) {
		t.Errorf("groups %q", got)
	}
	if _, err := Draw(t.TempDir(), []string{"png"}, &Dataset{Charts: []Chart{*found}}); err != nil {
		t.Fatal(err)
	}
}

func TestSameConfigNameTwice(t *testing.T) {
	f := noSweepFixture(t)
	var names []string
	for _, c := range Data(f, f).Charts {
		if c.Kind == KindThroughput {
			names = append(names, c.File)
		}
	}
	if want := []string{"punch-vs-fill-t8-throughput", "punch-vs-fill-t8-2-throughput"}; !slices.Equal(names, want) {
		t.Errorf("got %q, want %q", names, want)
	}
}

func TestSweepPositions(t *testing.T) {
	for _, tc := range []struct {
		values  []string
		want    []float64
		numeric bool
	}{
		{[]string{"1", "4", "16"}, []float64{1, 4, 16}, true},
		{[]string{"4k", "64KiB", "1M", "512"}, []float64{4096, 65536, 1 << 20, 512}, true},
		{[]string{"10ms", "1s"}, []float64{0.01, 1}, true},
		{[]string{"perpage", "2"}, []float64{0, 1}, false},
		{[]string{"4k", "1s"}, []float64{0, 1}, false},
	} {
		pos, numeric := sweepPositions(tc.values)
		var got []float64
		for _, v := range tc.values {
			got = append(got, pos[v])
		}
		if numeric != tc.numeric || !slices.Equal(got, tc.want) {
			t.Errorf("sweepPositions(%q) = %v, %v; want %v, %v", tc.values, got, numeric, tc.want, tc.numeric)
		}
	}
}

// TestMemoryChart: a file whose runs sampled the resident set gets a memory
// chart, the largest RSS of each interval in MiB at the interval's middle,
// from the first run of each cell that has samples; one that did not, none.
// memoryFixture is the no-sweep fixture with a resident set sampled in every
// interval: 100 MiB upwards, 10 MiB more per cell.
func memoryFixture(t *testing.T) *results.File {
	f := noSweepFixture(t)
	for i := range f.Results {
		for j := range f.Results[i].Runs {
			r := &f.Results[i].Runs[j]
			for k := range r.Intervals {
				r.Intervals[k].RSSBytes = int64(100+10*i+k) << 20
			}
		}
	}
	return f
}

func TestMemoryChart(t *testing.T) {
	f := noSweepFixture(t)
	memory := func() []Chart {
		var out []Chart
		for _, c := range Data(f).Charts {
			if strings.HasSuffix(c.File, "-memory") {
				out = append(out, c)
			}
		}
		return out
	}
	if got := memory(); len(got) != 0 {
		t.Fatalf("memory charts %v for runs without samples", got)
	}
	for i := range f.Results {
		for j := range f.Results[i].Runs {
			r := &f.Results[i].Runs[j]
			for k := range r.Intervals {
				r.Intervals[k].RSSBytes = int64(100+10*i+k) << 20
			}
		}
	}
	got := memory()
	if len(got) != 1 || got[0].Kind != KindTimeline || len(got[0].Lines.Series) != len(f.Results) {
		t.Fatalf("memory charts %+v, want one timeline with a line per cell", got)
	}
	iv := f.Results[0].Runs[0].Intervals
	pts := got[0].Lines.Series[0].Points
	if len(pts) != len(iv) || pts[0].Y != 100 || pts[len(pts)-1].Y != float64(100+len(iv)-1) {
		t.Errorf("points %v, want 100 MiB upwards, one per interval", pts)
	}
	if _, err := Draw(t.TempDir(), []string{"png"}, &Dataset{Charts: got}); err != nil {
		t.Fatal(err)
	}
}
