package results_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/results/resultstest"
)

func sampleFile() *results.File {
	return resultstest.Build(resultstest.Spec{
		Seed:        7,
		Name:        "punch-vs-fill",
		RWBench:     "v0.1.0",
		Started:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Machine:     resultstest.Machine(),
		Intervals:   true,
		DurationSec: 3,
		Cells: []resultstest.CellSpec{
			{Strategy: "perpage", Runs: 3, Ops: []resultstest.OpSpec{
				{Op: "read", OpsPerSec: 150000, P50Ns: 20000, Bytes: 4096, Noise: 0.03},
				{Op: "punch", OpsPerSec: 8000, P50Ns: 90000, Noise: 0.05},
			}},
		},
	})
}

func mustJSON(t *testing.T, f *results.File) []byte {
	t.Helper()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteNoNulls: a cell that never ran is written with "runs": [], a file
// without cells with "results": [].
func TestWriteNoNulls(t *testing.T) {
	dir := t.TempDir()
	f := sampleFile()
	f.Results = append(f.Results, results.Cell{Strategy: "none", Target: "model"})
	path := filepath.Join(dir, "a.json")
	if err := results.Write(path, f); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(`"runs": null`)) || !bytes.Contains(b, []byte(`"runs": []`)) {
		t.Errorf("a cell without runs:\n%s", b)
	}
	if f.Results[1].Runs != nil {
		t.Error("Write changed its argument")
	}
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "sub", "RESULTS.json")
	f := sampleFile()
	if err := results.Write(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	// What Write adds: the echo's durations in nanoseconds, the lock
	// histograms' bucket bounds.
	f.Config = results.NormalizeConfig(f.Config)
	longest := 0
	for _, r := range f.Results[0].Runs {
		for _, l := range r.Locks {
			longest = max(longest, len(l.WaitHist), len(l.HoldHist))
		}
	}
	f.LockHistBucketsNs = results.HistLowerBounds(longest)
	if a, b := mustJSON(t, f), mustJSON(t, got); !bytes.Equal(a, b) {
		t.Errorf("read back differs from written:\n%s\nwant\n%s", b, a)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only RESULTS.json", names)
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "RESULTS.json")
	good := sampleFile()
	if err := results.Write(path, good); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	bad := sampleFile()
	bad.Results[0].Runs[0].Ops["read"] = results.OpStats{OpsPerSec: math.NaN()}
	if err := results.Write(path, bad); err == nil {
		t.Fatal("Write of a NaN succeeded")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed Write changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a failed Write left %d entries, want 1", len(entries))
	}
}

func TestWriteFillsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	f := sampleFile()
	f.Schema = 0
	if err := results.Write(path, f); err != nil {
		t.Fatal(err)
	}
	if f.Schema != 0 {
		t.Error("Write changed its argument")
	}
	got, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != results.Schema {
		t.Errorf("schema %d, want %d", got.Schema, results.Schema)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		want   string // the error, after "PATH: "
		schema bool   // a *SchemaError
	}{
		{"schema 2", `{"schema":2,"results":"whatever a later schema has"}`, "schema 2, this rwbench reads schema 1", true},
		{"no schema", `{"name":"x"}`, "no schema number: not an rwbench results file (this rwbench reads schema 1)", true},
		{"not json", `schema: 1`, "not an rwbench results file: invalid character 's' looking for beginning of value", false},
		{"empty", ``, "not an rwbench results file: unexpected end of JSON input", false},
		{"schema string", `{"schema":"1"}`, `not an rwbench results file: schema is "1", not a number`, false},
		{"trailing data", `{"schema":1} {}`, "not an rwbench results file: invalid character '{' after top-level value", false},
		{"wrong type", `{"schema":1,"results":{}}`, "json: cannot unmarshal object into Go struct field File.results of type []results.Cell", false},
		{"no strategy", `{"schema":1,"results":[{"target":"model"}]}`, "results[0]: no strategy", false},
		{"duplicate cell", `{"schema":1,"results":[{"strategy":"perpage","params":{"writers":"4"}},{"strategy":"none"},{"strategy":"perpage","params":{"writers":"4"}}]}`,
			"results[2]: same cell as results[0] (strategy=perpage writers=4)", false},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := results.Read(path)
			if err == nil {
				t.Fatal("Read succeeded")
			}
			if got, want := err.Error(), path+": "+tt.want; got != want {
				t.Errorf("error\n%s\nwant\n%s", got, want)
			}
			var se *results.SchemaError
			if errors.As(err, &se) != tt.schema {
				t.Errorf("errors.As(SchemaError) = %v, want %v", !tt.schema, tt.schema)
			}
		})
	}
	if _, err := results.Read(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func TestValidate(t *testing.T) {
	if err := results.Validate(sampleFile()); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	f := sampleFile()
	f.Schema = 2
	if err := results.Validate(f); err == nil || err.Error() != "schema 2, this rwbench reads schema 1" {
		t.Errorf("Validate(schema 2) = %v", err)
	}
	if err := results.Validate(nil); err == nil {
		t.Error("Validate(nil) = nil")
	}
	// The same strategy and params under two targets are two cells.
	f = &results.File{Schema: results.Schema, Results: []results.Cell{
		{Strategy: "x", Target: "model"}, {Strategy: "x", Target: "kernel"},
	}}
	if err := results.Validate(f); err != nil {
		t.Errorf("Validate(two targets) = %v", err)
	}
}

func TestEstimateOf(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		want   results.Estimate
	}{
		{"none", nil, results.Estimate{}},
		{"one", []float64{5}, results.Estimate{Median: 5, Lo: 5, Hi: 5, Confidence: 0, N: 1, Unbounded: true,
			Warnings: []string{"need >= 6 samples for confidence interval at level 0.95"}}},
		// Sample SD of 1, 2, 3 is 1; the population SD would be 0.816.
		{"three", []float64{3, 1, 2}, results.Estimate{Median: 2, Lo: 1, Hi: 3, Confidence: 0.75, N: 3, Unbounded: true, Stddev: 1,
			Warnings: []string{"need >= 6 samples for confidence interval at level 0.95"}}},
		{"six", []float64{10, 12, 11, 13, 9, 14}, results.Estimate{Median: 11.5, Lo: 9, Hi: 14, Confidence: 0.96875, N: 6, Stddev: math.Sqrt(3.5)}},
		{"equal", []float64{4, 4, 4, 4, 4, 4, 4}, results.Estimate{Median: 4, Lo: 4, Hi: 4, Confidence: 0.984375, N: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.values)
			got := results.EstimateOf(in, 0.95)
			if !slices.Equal(in, tt.values) {
				t.Errorf("EstimateOf changed its input to %v", in)
			}
			if math.Abs(got.Stddev-tt.want.Stddev) < 1e-12 {
				got.Stddev = tt.want.Stddev
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("EstimateOf(%v) =\n%+v\nwant\n%+v", tt.values, got, tt.want)
			}
		})
	}
	// Ten values: a finite interval strictly inside the range.
	e := results.EstimateOf([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.95)
	if e.Unbounded || e.Lo <= 1 || e.Hi >= 10 || e.Lo > e.Median || e.Hi < e.Median || e.Confidence < 0.95 {
		t.Errorf("EstimateOf(1..10) = %+v", e)
	}
	// An invalid confidence means the default.
	if a, b := results.EstimateOf([]float64{1, 2, 3, 4, 5, 6}, 0), results.EstimateOf([]float64{1, 2, 3, 4, 5, 6}, results.DefaultConfidence); !reflect.DeepEqual(a, b) {
		t.Errorf("confidence 0: %+v, want %+v", a, b)
	}
}

func TestSummarize(t *testing.T) {
	lat := func(p99 float64) results.Latency { return results.Latency{P50: p99 / 5, P99: p99} }
	c := results.Cell{Strategy: "perpage", Runs: []results.Run{
		{Rep: 1, Ops: map[string]results.OpStats{
			"read":  {Count: 100, OpsPerSec: 10, LatencyNs: lat(900)},
			"punch": {Count: 0, OpsPerSec: 0},
		}},
		{Rep: 2, Ops: map[string]results.OpStats{
			"read":  {Count: 120, OpsPerSec: 12, LatencyNs: lat(700)},
			"punch": {Count: 5, OpsPerSec: 0.5, LatencyNs: lat(5000)},
		}},
		{Rep: 3, Ops: map[string]results.OpStats{
			"read": {Count: 110, OpsPerSec: 11, LatencyNs: lat(800)},
		}},
	}}
	results.Summarize(&c, 0.95)
	if got := slices.Sorted(mapsKeys(c.Summary.Ops)); !slices.Equal(got, []string{"punch", "read"}) {
		t.Fatalf("summary ops %v", got)
	}
	read := c.Summary.Ops["read"]
	if read.OpsPerSec.Median != 11 || read.OpsPerSec.N != 3 || read.P99Ns.Median != 800 || read.P99Ns.N != 3 {
		t.Errorf("read summary %+v", read)
	}
	punch := c.Summary.Ops["punch"]
	// Both runs that have punch count for the rate, only the one that completed
	// a punch for the latency.
	if punch.OpsPerSec.N != 2 || punch.OpsPerSec.Median != 0.25 || punch.P99Ns.N != 1 || punch.P99Ns.Median != 5000 {
		t.Errorf("punch summary %+v", punch)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestSortOpsAndKey(t *testing.T) {
	ops := []string{"zero", "custom", "read", "advise", "punch", "alpha", "write"}
	results.SortOps(ops)
	if want := []string{"read", "write", "punch", "zero", "advise", "alpha", "custom"}; !slices.Equal(ops, want) {
		t.Errorf("SortOps = %v, want %v", ops, want)
	}
	// A job keyed by its name sorts with the other jobs of its op; its
	// findings are its own when the run attributes them by job.
	run := results.Run{
		Ops: map[string]results.OpStats{"read": {}, "reuse": {Op: "write"}, "refill": {Op: "write"},
			"readahead": {Op: "read"}, "punch": {}, "holes": {Op: "punch"}},
		Verify: results.Verify{ByOp: map[string]results.Findings{"read": {Stale: 9}},
			ByJob: map[string]results.Findings{"read": {Stale: 7}, "readahead": {Stale: 2}}},
	}
	if got, want := results.CellOps(&results.Cell{Runs: []results.Run{run}}),
		[]string{"read", "readahead", "refill", "reuse", "holes", "punch"}; !slices.Equal(got, want) {
		t.Errorf("CellOps = %v, want %v", got, want)
	}
	if f, ok := run.FindingsOf("readahead"); !ok || f.Stale != 2 {
		t.Errorf("FindingsOf(readahead) = %+v, %v; want its own 2", f, ok)
	}
	run.Verify.ByJob = nil // results of before by_job: the op's path
	if f, ok := run.FindingsOf("readahead"); !ok || f.Stale != 9 {
		t.Errorf("FindingsOf(readahead) without by_job = %+v, %v; want read's 9", f, ok)
	}
	c := &results.Cell{Strategy: "invalidate", Params: map[string]string{"writers": "4", "cache.size": "64MiB"}}
	if got, want := results.Key(c), "strategy=invalidate cache.size=64MiB writers=4"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
	if got := results.Key(&results.Cell{Strategy: "none"}); got != "strategy=none" {
		t.Errorf("Key without params = %q", got)
	}
}

func TestDiffConfig(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []string
	}{
		{"same", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, nil},
		{"description ignored", `{"description":"x","jobs":[{"description":"y","threads":1}]}`, `{"description":"z","jobs":[{"threads":1}]}`, nil},
		{"numbers by value", `{"a":1,"b":0.5}`, `{"a":1.0,"b":5e-1}`, nil},
		{"nested", `{"cache":{"size":"256MiB","policy":"lru"},"jobs":[{"op":"read","threads":4},{"op":"punch","threads":1}]}`,
			`{"cache":{"size":"64MiB","policy":"lru"},"jobs":[{"op":"read","threads":4},{"op":"punch","threads":2}]}`,
			[]string{"cache.size", "jobs[1].threads"}},
		{"seed counts", `{"seed":1}`, `{"seed":2}`, []string{"seed"}},
		{"key on one side", `{"a":1}`, `{"a":1,"b":null}`, []string{"b"}},
		{"longer array", `{"jobs":[1]}`, `{"jobs":[1,2,3]}`, []string{"jobs[1]", "jobs[2]"}},
		{"type change", `{"a":{"x":1}}`, `{"a":[1]}`, []string{"a"}},
		{"number vs string", `{"a":1}`, `{"a":"1"}`, []string{"a"}},
		{"root", `{"a":1}`, `[1]`, []string{"(config)"}},
		{"both empty", ``, `null`, nil},
		{"one empty", ``, `{}`, []string{"(config)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := results.DiffConfig(json.RawMessage(tt.a), json.RawMessage(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("DiffConfig = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := results.DiffConfig(json.RawMessage(`{`), json.RawMessage(`{}`)); err == nil {
		t.Error("DiffConfig of bad JSON succeeded")
	}
}

func TestMerge(t *testing.T) {
	a := sampleFile()
	b := resultstest.Build(resultstest.Spec{
		Seed: 8, Name: "punch-vs-fill", RWBench: "v0.1.0",
		Started: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC), Machine: resultstest.Machine(),
		Cells: []resultstest.CellSpec{
			{Strategy: "perpage", Runs: 3, Ops: []resultstest.OpSpec{
				{Op: "read", OpsPerSec: 150000, P50Ns: 20000, Bytes: 4096, Noise: 0.03},
				{Op: "punch", OpsPerSec: 8000, P50Ns: 90000, Noise: 0.05},
			}},
			{Strategy: "none", Runs: 2, Ops: []resultstest.OpSpec{{Op: "read", OpsPerSec: 200000, P50Ns: 15000, Bytes: 4096}}},
		},
	})
	b.Partial = true
	aJSON := mustJSON(t, a)
	m, err := results.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(aJSON, mustJSON(t, a)) {
		t.Error("Merge changed its input")
	}
	if len(m.Results) != 2 || m.Results[0].Strategy != "perpage" || m.Results[1].Strategy != "none" {
		t.Fatalf("merged cells %+v", m.Results)
	}
	var reps []int
	for _, r := range m.Results[0].Runs {
		reps = append(reps, r.Rep)
	}
	if !slices.Equal(reps, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("merged reps %v, want 1..6", reps)
	}
	if n := m.Results[0].Summary.Ops["read"].OpsPerSec.N; n != 6 {
		t.Errorf("merged summary over %d runs, want 6", n)
	}
	if !m.Started.Equal(a.Started) || !m.Finished.Equal(b.Finished) || !m.Partial {
		t.Errorf("merged started %v finished %v partial %v", m.Started, m.Finished, m.Partial)
	}

	c := sampleFile()
	c.Config = json.RawMessage(strings.Replace(string(c.Config), `"256MiB"`, `"64MiB"`, 1))
	if _, err := results.Merge(a, c); err == nil || !strings.Contains(err.Error(), "cache.size differ") {
		t.Errorf("Merge of another config: %v", err)
	}
	d := sampleFile()
	d.RWBench = "v0.2.0"
	if _, err := results.Merge(a, d); err == nil {
		t.Error("Merge of another rwbench succeeded")
	}
	if _, err := results.Merge(); err == nil {
		t.Error("Merge() succeeded")
	}
	if m, err := results.Merge(a); err != nil || m != a {
		t.Errorf("Merge(a) = %p, %v", m, err)
	}
}
