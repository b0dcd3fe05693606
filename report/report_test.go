package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/results/resultstest"
	"golang.org/x/perf/benchfmt"
)

var update = flag.Bool("update", false, "rewrite testdata: the fixture results file and the golden reports")

const fixture = "testdata/punch-vs-fill.json"

// fixtureSpec is the committed fixture: two strategies, three runs each, two ops;
// one cell has a sweep param. "none" does not serialize punching against filling,
// so its readers see stale pages and one fsck fails; "invalidate" is clean.
func fixtureSpec() resultstest.Spec {
	return resultstest.Spec{
		Seed:        42,
		Name:        "punch-vs-fill",
		RWBench:     "v0.1.0",
		Started:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Machine:     resultstest.Machine(),
		DurationSec: 3,
		Intervals:   true,
		Cells: []resultstest.CellSpec{
			{
				Strategy: "none", Runs: 3,
				Ops: []resultstest.OpSpec{
					{Op: "read", OpsPerSec: 212000, P50Ns: 14800, Bytes: 4096, Noise: 0.03},
					{Op: "punch", OpsPerSec: 9100, P50Ns: 61000, Noise: 0.04},
				},
				Locks: []resultstest.LockSpec{
					{Lock: "mapping.i_pages", Site: "filemap_add_folio", Mode: "exclusive", PerOp: 0.31, Contended: 0.021, WaitNs: 900, HoldNs: 350},
					{Lock: "folio_lock", Site: "filemap_read", Mode: "exclusive", PerOp: 0.97, Contended: 0.004, WaitNs: 2100, HoldNs: 1200},
				},
				Stale: 14, Torn: 2, FsckFailRun: 2,
			},
			{
				Strategy: "invalidate", Params: map[string]string{"writers": "4"}, Runs: 3,
				Ops: []resultstest.OpSpec{
					{Op: "read", OpsPerSec: 171000, P50Ns: 17900, Bytes: 4096, Noise: 0.03},
					{Op: "punch", OpsPerSec: 6400, P50Ns: 118000, Noise: 0.05},
				},
				Locks: []resultstest.LockSpec{
					{Lock: "mapping.invalidate_lock", Site: "filemap_read", Mode: "shared", PerOp: 0.96, Contended: 0.012, WaitNs: 41000, HoldNs: 9000},
					{Lock: "mapping.invalidate_lock", Site: "punch_hole", Mode: "exclusive", PerOp: 0.036, Contended: 0.61, WaitNs: 52000, HoldNs: 30000},
					{Lock: "mapping.i_pages", Site: "filemap_add_folio", Mode: "exclusive", PerOp: 0.33, Contended: 0.018, WaitNs: 850, HoldNs: 340},
				},
			},
		},
	}
}

func loadFixture(t *testing.T) *results.File {
	t.Helper()
	if *update {
		if err := results.Write(fixture, resultstest.Build(fixtureSpec())); err != nil {
			t.Fatal(err)
		}
	}
	f, err := results.Read(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	f := loadFixture(t)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, f); err != nil {
				t.Fatal(err)
			}
			golden(t, "report."+format+".golden", b.Bytes())
		})
	}
}

func TestGoldenTwoFiles(t *testing.T) {
	f := loadFixture(t)
	g := *f
	g.Partial = true
	g.Results = g.Results[1:]
	var b bytes.Buffer
	if err := Write(&b, "text", f, &g); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.two-files.text.golden", b.Bytes())
}

func TestBenchfmtParses(t *testing.T) {
	f := loadFixture(t)
	var b bytes.Buffer
	if err := Write(&b, "benchfmt", f); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&b, "report")
	n := 0
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			if se, isErr := r.Result().(*benchfmt.SyntaxError); isErr {
				t.Fatalf("syntax error: %v", se)
			}
			continue
		}
		n++
		if cpu := res.GetConfig("cpu"); cpu != "AMD EPYC 7B13" {
			t.Errorf("cpu config %q", cpu)
		}
		if cfg := res.GetConfig("config"); cfg != "punch-vs-fill" {
			t.Errorf("config config %q", cfg)
		}
		base, parts := res.Name.Parts()
		if string(base) != "RW" {
			t.Errorf("base name %q", base)
		}
		keys := map[string]string{}
		for _, p := range parts {
			k, v, ok := strings.Cut(strings.TrimPrefix(string(p), "/"), "=")
			if !ok {
				t.Errorf("part %q is not key=value", p)
			}
			keys[k] = v
		}
		if keys["strategy"] == "" || keys["op"] == "" {
			t.Errorf("name %s lacks strategy or op", res.Name)
		}
		if keys["strategy"] == "invalidate" && keys["writers"] != "4" {
			t.Errorf("name %s lacks writers=4", res.Name)
		}
		var nsPerOp, opsPerSec float64
		for _, v := range res.Values {
			switch v.Unit {
			case "sec/op":
				nsPerOp = v.Value * 1e9
			case "ops/s":
				opsPerSec = v.Value
			}
		}
		if opsPerSec == 0 || math.Abs(nsPerOp*opsPerSec-1e9) > 1e-3 {
			t.Errorf("%s: ns/op %v is not 1e9/ops/s (ops/s %v)", res.Name, nsPerOp, opsPerSec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2*3*2 {
		t.Errorf("%d benchmark lines, want 12 (2 cells x 3 runs x 2 ops)", n)
	}
	if got := r.Units().GetBetter("ops/s"); got != 1 {
		t.Errorf("ops/s better = %d, want higher (1)", got)
	}
	if got := r.Units().GetBetter("p99-ns"); got != -1 {
		t.Errorf("p99-ns better = %d, want lower (-1)", got)
	}
}

func TestCSVShape(t *testing.T) {
	f := loadFixture(t)
	var b bytes.Buffer
	if err := Write(&b, "csv", f); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+12 {
		t.Fatalf("%d rows, want a header and 12", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, want := range []string{"config", "strategy", "param.writers", "rep", "op", "ops_per_sec", "lat_p99_ns", "run_stale", "fsck_ok"} {
		if _, ok := col[want]; !ok {
			t.Errorf("no column %q", want)
		}
	}
	for _, r := range rows[1:] {
		if r[col["strategy"]] == "invalidate" && r[col["param.writers"]] != "4" {
			t.Errorf("invalidate row without writers=4: %v", r)
		}
		if r[col["strategy"]] == "none" && r[col["param.writers"]] != "" {
			t.Errorf("none row with writers: %v", r)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	f := loadFixture(t)
	if err := Write(io.Discard, "html", f); err == nil || !strings.Contains(err.Error(), `unknown format "html"`) {
		t.Errorf("unknown format: %v", err)
	}
	if err := Write(io.Discard, "text", f, nil); err == nil {
		t.Error("nil file accepted")
	}
	boom := errors.New("boom")
	for _, format := range Formats() {
		if err := Write(failWriter{boom}, format, f); !errors.Is(err, boom) {
			t.Errorf("%s: write error %v, want boom", format, err)
		}
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSummaryFallback(t *testing.T) {
	// An interrupted run may be written before its cells are summarized: the
	// report must summarize them itself and say the same.
	f := loadFixture(t)
	var want bytes.Buffer
	if err := Write(&want, "text", f); err != nil {
		t.Fatal(err)
	}
	for i := range f.Results {
		f.Results[i].Summary = results.Summary{}
	}
	var got bytes.Buffer
	if err := Write(&got, "text", f); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("without stored summaries:\n%s\nwith:\n%s", got.String(), want.String())
	}
}

func TestFormatting(t *testing.T) {
	ci := []struct {
		e    results.Estimate
		want string
	}{
		{results.Estimate{Median: 100, Lo: 97, Hi: 102, N: 6}, "3%"},
		{results.Estimate{Median: 100, Lo: 90, Hi: 130, N: 3, Unbounded: true}, "∞"},
		{results.Estimate{Median: 0, Lo: 0, Hi: 0, N: 6}, "0%"},
		{results.Estimate{Median: 1, Lo: -1, Hi: 2, N: 6}, "?"},
		{results.Estimate{}, "?"},
	}
	for _, tt := range ci {
		if got := FormatCI(tt.e); got != tt.want {
			t.Errorf("FormatCI(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
	ratios := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.00003, "<0.0001"}, {0.00312, "0.00312"}, {0.0451, "0.0451"}, {0.45, "0.450"},
		{0.9996, "1.00"}, {6.341, "6.34"}, {12.34, "12.3"}, {123.4, "123"}, {1234, "1.23k"},
	}
	for _, tt := range ratios {
		if got := fmtRatio(tt.in); got != tt.want {
			t.Errorf("fmtRatio(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	percents := []struct {
		part, whole int64
		want        string
	}{
		{0, 1000, "0.0%"}, {1, 3, "33.3%"}, {1, 1000, "0.1%"}, {12, 100_000, "0.012%"},
		{3, 10_000_000, "0.000030%"}, {5, 1_000_000, "0.00050%"},
	}
	for _, tt := range percents {
		if got := fmtPercent(tt.part, tt.whole); got != tt.want {
			t.Errorf("fmtPercent(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
	if got := superscript(12); got != "¹²" {
		t.Errorf("superscript(12) = %q", got)
	}
	if got := mdEscape("a|b\nc<d"); got != `a\|b c&lt;d` {
		t.Errorf("mdEscape = %q", got)
	}
}

func TestConfigNames(t *testing.T) {
	files := []*results.File{{Name: "a"}, {Name: "b"}, {Name: "a"}, {Name: ""}}
	got := configNames(files)
	want := []string{"a#1", "b", "a#2", "-"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("configNames = %v, want %v", got, want)
	}
}

func TestBenchName(t *testing.T) {
	c := &results.Cell{Strategy: "invalidate", Params: map[string]string{"writers": "4", "cache.size": "64 MiB", "path": "a/b"}}
	if got, want := benchName(c, "read"), "RW/strategy=invalidate/op=read/cache.size=64_MiB/path=a_b/writers=4"; got != want {
		t.Errorf("benchName = %q, want %q", got, want)
	}
}
