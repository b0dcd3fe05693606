package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite testdata: the fixture results files and the golden outputs")

// fixtureConfig is the resolved config of the fixtures.
const fixtureConfig = `{"name":"punch-vs-fill","description":"hole punching against readers filling the cache",` +
	`"seed":1,"image":{"path":"/var/tmp/rwbench.img","size":"1GiB"},"cache":{"size":"256MiB"},` +
	`"duration":"10s","repeat":6,"strategies":"all","sweep":{"writers":[4]},` +
	`"jobs":[{"op":"read","threads":4,"size":"4KiB"},{"op":"punch","threads":1,"size":"64KiB"}]}`

func cell(strategy string, runs int, read, readP50, punch, punchP50 float64) resultstest.CellSpec {
	return resultstest.CellSpec{
		Strategy: strategy, Params: map[string]string{"writers": "4"}, Runs: runs,
		Ops: []resultstest.OpSpec{
			{Op: "read", OpsPerSec: read, P50Ns: readP50, Bytes: 4096, Noise: 0.02},
			{Op: "punch", OpsPerSec: punch, P50Ns: punchP50, Noise: 0.004},
		},
	}
}

func spec(seed uint64, version string, hour int, cells ...resultstest.CellSpec) resultstest.Spec {
	return resultstest.Spec{
		Seed: seed, Name: "punch-vs-fill", RWBench: version, Config: fixtureConfig,
		Started: time.Date(2026, 3, 1, hour, 0, 0, 0, time.UTC), Machine: resultstest.Machine(),
		Cells: cells,
	}
}

// fixtures are the committed results files, by name. old is the base; new has a
// regression (perpage read -20%), a change within the threshold (perpage punch
// -2.5%), improvements (invalidate read +26%, invalidate punch p99 -32%), a removed
// cell (irwsem) and an added one (perbatch).
func fixtures() map[string]*results.File {
	const base, head = "v0.1.0-12-gabc1234", "v0.1.0-13-gdef5678"
	old := func(seed uint64, runs int) []resultstest.CellSpec {
		return []resultstest.CellSpec{
			cell("perpage", runs, 180000, 16000, 8000, 70000),
			cell("invalidate", runs, 170000, 18000, 6400, 118000),
			cell("irwsem", runs, 120000, 25000, 5000, 90000),
		}
	}
	f := map[string]*results.File{
		"old.json": resultstest.Build(spec(11, base, 12, old(11, 6)...)),
		"new.json": resultstest.Build(spec(12, head, 13,
			cell("perpage", 6, 144000, 16000, 7800, 70000),
			cell("invalidate", 6, 214000, 18000, 6400, 80000),
			cell("perbatch", 6, 190000, 15000, 7000, 75000),
		)),
		"improved.json": resultstest.Build(spec(13, head, 13,
			cell("perpage", 6, 180000, 16000, 8000, 70000),
			cell("invalidate", 6, 214000, 18000, 6400, 118000),
			cell("irwsem", 6, 120000, 25000, 5000, 90000),
		)),
		"nochange.json": resultstest.Build(spec(14, head, 13, old(14, 6)...)),
		// Three runs a side: even a 20% drop cannot be significant.
		"few-old.json":   resultstest.Build(spec(21, base, 12, cell("perpage", 3, 180000, 16000, 8000, 70000))),
		"few-new.json":   resultstest.Build(spec(22, head, 13, cell("perpage", 3, 144000, 16000, 8000, 70000))),
		"few-old-2.json": resultstest.Build(spec(23, base, 14, cell("perpage", 3, 180000, 16000, 8000, 70000))),
		"few-new-2.json": resultstest.Build(spec(24, head, 15, cell("perpage", 3, 144000, 16000, 8000, 70000))),
	}
	s2 := resultstest.Build(spec(31, "v0.2.0", 13, cell("perpage", 6, 180000, 16000, 8000, 70000)))
	s2.Schema = 2
	f["schema2.json"] = s2
	other := resultstest.Build(spec(32, head, 13, cell("perpage", 6, 180000, 16000, 8000, 70000)))
	cfg := strings.Replace(fixtureConfig, `"256MiB"`, `"64MiB"`, 1)
	cfg = strings.Replace(cfg, `"op":"punch","threads":1`, `"op":"punch","threads":2`, 1)
	cfg = strings.Replace(cfg, `hole punching against readers`, `same, described differently`, 1)
	other.Config = json.RawMessage(cfg)
	f["other-config.json"] = other
	return f
}

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		for name, f := range fixtures() {
			if err := results.Write(filepath.Join("testdata", name), f); err != nil {
				panic(err)
			}
		}
	}
	os.Exit(m.Run())
}

func td(name string) string { return filepath.Join("testdata", name) }

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"5%", 0.05, false},
		{" 2.5 % ", 0.025, false},
		{"0%", 0, false},
		{"150%", 1.5, false},
		{"0.05", 0.05, false},
		{"0", 0, false},
		{"5", 0, true},
		{"1", 0, true},
		{"-5%", 0, true},
		{"five%", 0, true},
		{"", 0, true},
		{"NaN%", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(tt.in)
		if (err != nil) != tt.wantErr || math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("ParseThreshold(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

func TestMinP(t *testing.T) {
	// With no ties, the exact two-sided U test's smallest p is 2/C(n1+n2, n1).
	for n1 := 1; n1 <= 8; n1++ {
		for n2 := 1; n2 <= 8; n2++ {
			want := math.Min(1, 2/binom(n1+n2, n1))
			if got := minP(n1, n2, 0.05); math.Abs(got-want) > 1e-9*want {
				t.Errorf("minP(%d, %d) = %v, want %v", n1, n2, got, want)
			}
		}
	}
	for _, tt := range []struct {
		alpha float64
		op    string
		n     int
	}{{0.05, ">=", 4}, {0.1, ">=", 3}, {0.01, ">=", 5}, {0.001, ">=", 7}, {1e-30, ">", 50}} {
		op, n := minRuns(tt.alpha)
		if op != tt.op || n != tt.n {
			t.Errorf("minRuns(%v) = %s %d, want %s %d", tt.alpha, op, n, tt.op, tt.n)
		}
	}
}

// synth is a one-cell results file whose runs have the given read rates and p99s.
func synth(rates, p99s []float64) *results.File {
	c := results.Cell{Strategy: "perpage", Target: "model"}
	for i := range rates {
		c.Runs = append(c.Runs, results.Run{Rep: i + 1, Ops: map[string]results.OpStats{
			"read": {Count: 1000, OpsPerSec: rates[i], LatencyNs: results.Latency{P99: p99s[i]}},
		}})
	}
	return &results.File{Schema: results.Schema, Config: json.RawMessage(`{"a":1}`), Results: []results.Cell{c}}
}

func seq(start, step float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = start + step*float64(i)
	}
	return v
}

func TestVerdicts(t *testing.T) {
	base := synth(seq(100, 1, 6), seq(1000, 10, 6))
	tests := []struct {
		name      string
		new       *results.File
		threshold float64
		want      map[string]string // metric → verdict
	}{
		{"faster and quicker", synth(seq(130, 1, 6), seq(700, 10, 6)), 0.05, map[string]string{"ops_per_sec": Improvement, "p99": Improvement}},
		{"slower and laggier", synth(seq(80, 1, 6), seq(1300, 10, 6)), 0.05, map[string]string{"ops_per_sec": Regression, "p99": Regression}},
		{"slower within threshold", synth(seq(80, 1, 6), seq(1000, 10, 6)), 0.25, map[string]string{"ops_per_sec": WithinThreshold, "p99": NoChange}},
		{"zero threshold", synth(seq(97, 0.5, 6), seq(1000, 10, 6)), 0, map[string]string{"ops_per_sec": Regression, "p99": Inconclusive}},
		{"same", synth(seq(100, 1, 6), seq(1000, 10, 6)), 0.05, map[string]string{"ops_per_sec": NoChange, "p99": NoChange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(base, tt.new, Options{Alpha: 0.05, Threshold: tt.threshold})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, row := range r.Rows {
				got[row.Metric] = row.Verdict
			}
			for m, v := range tt.want {
				if got[m] != v {
					t.Errorf("%s: verdict %q, want %q", m, got[m], v)
				}
			}
			wantReg := tt.want["ops_per_sec"] == Regression || tt.want["p99"] == Regression
			if r.Regressed() != wantReg {
				t.Errorf("Regressed() = %v, want %v", r.Regressed(), wantReg)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
		})
	}
}

func TestFDRCutoff(t *testing.T) {
	for _, tt := range []struct {
		name  string
		ps    []float64
		alpha float64
		want  float64
	}{
		{"none", nil, 0.05, -1},
		{"one significant alone", []float64{0.04}, 0.05, 0.04},
		{"one of two", []float64{0.04, 0.9}, 0.05, -1},                      // 0.04 > 1/2·0.05
		{"none of three", []float64{0.02, 0.04, 0.5}, 0.05, -1},             // 0.02 > 1/3·0.05, 0.04 > 2/3·0.05
		{"both of two", []float64{0.02, 0.05}, 0.05, 0.05},                  // 0.05 <= 2/2·0.05 carries 0.02
		{"the smallest alone", []float64{0.03, 0.01, 0.9, 0.9}, 0.05, 0.01}, // 0.01 <= 1/4·0.05, 0.03 > 2/4·0.05
	} {
		if got := fdrCutoff(tt.ps, tt.alpha); got != tt.want {
			t.Errorf("%s: fdrCutoff(%v, %v) = %v, want %v", tt.name, tt.ps, tt.alpha, got, tt.want)
		}
	}
}

// TestFalseDiscoveries: of 40 comparisons, one significant at alpha alone among
// unchanged ones is not a regression; four real 20% cuts among them are.
func TestFalseDiscoveries(t *testing.T) {
	r := &Report{Alpha: 0.05, Threshold: 0.05}
	det := 3.0
	add := func(p float64, v string) {
		r.Rows = append(r.Rows, Row{P: p, Verdict: v, DetectablePct: &det})
	}
	for range 35 {
		add(0.5, NoChange)
	}
	add(0.010, Regression) // the false one
	r.correct()
	if r.Regressed() {
		t.Fatalf("one comparison at p=0.010 of 36 is a regression (cutoff %v)", r.PCutoff)
	}
	if v := r.Rows[35].Verdict; v != NoChange {
		t.Errorf("withdrawn verdict %q, want %q (it could have detected 3%%)", v, NoChange)
	}
	for _, p := range []float64{0.0002, 0.0002, 0.003, 0.003} {
		add(p, Regression)
	}
	r.Rows[35].Verdict = Regression
	r.correct()
	if n := len(r.Regressions()); n != 4 || r.Rows[35].Verdict == Regression {
		t.Errorf("%d regressions, the p=0.010 one %q; want the four cuts only (cutoff %v)", n, r.Rows[35].Verdict, r.PCutoff)
	}
}

func TestTooFewWarning(t *testing.T) {
	for _, tt := range []struct {
		n    int
		warn bool
	}{{3, true}, {4, false}} {
		r, err := Compare(synth(seq(100, 1, tt.n), seq(1000, 1, tt.n)), synth(seq(50, 1, tt.n), seq(2000, 1, tt.n)), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		warned := slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "too few runs") })
		if warned != tt.warn {
			t.Errorf("%d runs a side: warned %v, want %v (%q)", tt.n, warned, tt.warn, r.Warnings)
		}
		if len(r.Warnings) > 1 {
			t.Errorf("more than one warning line: %q", r.Warnings)
		}
		if r.Regressed() == tt.warn {
			t.Errorf("%d runs a side, a halving: Regressed() = %v", tt.n, r.Regressed())
		}
	}
}

func TestIncompatible(t *testing.T) {
	a := synth(seq(100, 1, 6), seq(1000, 1, 6))
	b := synth(seq(100, 1, 6), seq(1000, 1, 6))
	b.Schema = 2
	_, err := Compare(a, b, DefaultOptions())
	var ie *IncompatibleError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "old is schema 1, new is schema 2") {
		t.Errorf("schema: %v", err)
	}

	b.Schema = results.Schema
	a.Config = json.RawMessage(`{"description":"a","cache":{"size":"256MiB"},"jobs":[{"threads":4},{"threads":1}],"seed":1}`)
	b.Config = json.RawMessage(`{"description":"b","cache":{"size":"64MiB"},"jobs":[{"threads":4},{"threads":2}],"seed":1}`)
	_, err = Compare(a, b, DefaultOptions())
	if !errors.As(err, &ie) || !slices.Equal(ie.Keys, []string{"cache.size", "jobs[1].threads"}) {
		t.Fatalf("config: %v", err)
	}
	if want := "incompatible results files: the configs differ in: cache.size, jobs[1].threads"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	if _, err := Compare(a, a, Options{Metrics: []string{"nope"}}); err == nil {
		t.Error("unknown metric accepted")
	}
	if _, err := Compare(a, a, Options{Alpha: 2}); err == nil {
		t.Error("alpha 2 accepted")
	}
}

func TestMachineWarning(t *testing.T) {
	a := synth(seq(100, 1, 6), seq(1000, 1, 6))
	b := synth(seq(100, 1, 6), seq(1000, 1, 6))
	a.Machine = resultstest.Machine()
	b.Machine = resultstest.Machine()
	b.Machine.Kernel = "6.19.0"
	b.Machine.Clock = "monotonic"
	b.Partial = true
	r, err := Compare(a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"new file is partial: the run was interrupted",
		"the files come from different machines or setups (kernel, clock): differences may not be rwbench's",
	}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings %q, want %q", r.Warnings, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	old, err := results.Read(td("old.json"))
	if err != nil {
		t.Fatal(err)
	}
	new, err := results.Read(td("new.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Compare(old, new, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	w.Old.Label = td("old.json")
	var out bytes.Buffer
	if err := w.Write(&out, "json", 1); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Regressed() || len(r.Added) != 1 || len(r.Removed) != 1 || r.Old.Label != td("old.json") {
		t.Errorf("decoded report: regressed %v added %q removed %q old %q", r.Regressed(), r.Added, r.Removed, r.Old.Label)
	}
}

// TestValuesNoLatency: runs that counted ops without timing them (record: false)
// give ops/s but no latency to compare.
func TestValuesNoLatency(t *testing.T) {
	c := &results.Cell{Runs: []results.Run{
		{Ops: map[string]results.OpStats{"read": {Count: 10, OpsPerSec: 5, LatencyNs: results.Latency{P99: 100}}}},
		{NoLatency: true, Ops: map[string]results.OpStats{"read": {Count: 12, OpsPerSec: 6}}},
	}}
	ops, _ := metricByName("ops_per_sec")
	p99, _ := metricByName("p99")
	if got := values(c, "read", ops); len(got) != 2 {
		t.Errorf("ops/s values %v, want both runs", got)
	}
	if got := values(c, "read", p99); len(got) != 1 || got[0] != 100 {
		t.Errorf("p99 values %v, want the timed run's only", got)
	}
}

// TestOutcome: the three answers, and what makes a comparison inconclusive
// rather than a pass.
func TestOutcome(t *testing.T) {
	steady := func(n int) *results.File { return synth(seq(100, 0.1, n), seq(1000, 1, n)) }
	noisy := synth([]float64{100, 60, 140, 90, 120, 70}, []float64{1000, 600, 1400, 900, 1200, 700})
	partial := steady(6)
	partial.Partial = true
	failed := steady(6)
	failed.Failed = "watchdog: no operation completed"
	empty := steady(6)
	empty.Results = nil
	runless := steady(6)
	runless.Results[0].Runs = []results.Run{}
	halved := synth(seq(50, 0.1, 6), seq(1000, 1, 6))
	tests := []struct {
		name     string
		old, new *results.File
		want     Outcome
		reason   string
	}{
		{"same, steady", steady(6), steady(6), OutcomeNone, ""},
		{"halved", steady(6), halved, OutcomeRegression, ""},
		{"halved, partial", steady(6), func() *results.File { f := synth(seq(50, 0.1, 6), seq(1000, 1, 6)); f.Partial = true; return f }(), OutcomeRegression, "partial"},
		{"two runs a side", steady(2), synth(seq(50, 0.1, 2), seq(1000, 1, 2)), OutcomeInconclusive, "could not have seen"},
		{"noisy", noisy, noisy, OutcomeInconclusive, "could not have seen"},
		{"partial new", steady(6), partial, OutcomeInconclusive, "partial"},
		{"failed new", steady(6), failed, OutcomeInconclusive, "failed"},
		{"no cells in new", steady(6), empty, OutcomeInconclusive, "no runs"},
		{"no runs in new", steady(6), runless, OutcomeInconclusive, "no runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(tt.old, tt.new, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tt.want {
				t.Errorf("outcome %q, want %q (reasons %q)", r.Outcome, tt.want, r.Reasons)
			}
			if tt.reason != "" && !slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.Contains(s, tt.reason) }) {
				t.Errorf("reasons %q lack %q", r.Reasons, tt.reason)
			}
		})
	}
}

// TestDetectable: the detectable change shrinks with more runs and less noise,
// is infinite below the U test's minimum, and runsNeeded asks for more runs than
// there are exactly when the detectable change exceeds the threshold.
func TestDetectable(t *testing.T) {
	wide := []float64{90, 95, 100, 105, 110, 92, 108, 97}
	narrow := []float64{99, 99.5, 100, 100.5, 101, 99.2, 100.8, 99.7}
	if d := detectable(wide[:3], wide[:3], true, 0.05); !math.IsInf(d, 1) {
		t.Errorf("3 runs a side: detectable %v, want +Inf", d)
	}
	dw, dn := detectable(wide, wide, true, 0.05), detectable(narrow, narrow, true, 0.05)
	if !(dn < dw) || dw > 0.5 {
		t.Errorf("detectable: narrow %v, wide %v; want narrow < wide < 0.5", dn, dw)
	}
	if d6 := detectable(wide[:6], wide[:6], true, 0.05); !(d6 > dw) {
		t.Errorf("6 runs %v not above 8 runs %v", d6, dw)
	}
	for _, th := range []float64{0.01, 0.05, 0.2} {
		n := runsNeeded(wide, wide, true, th, 0.05, dw)
		if more := n == 0 || n > len(wide); more != (dw > th) {
			t.Errorf("threshold %v: detectable %v, runs needed %d with %d", th, dw, n, len(wide))
		}
	}
	// A latency (lower is better) worsens upwards, without the 100% bound.
	if d := detectable(wide, wide, false, 0.05); !(d > 0 && d < 0.5) {
		t.Errorf("latency detectable %v", d)
	}
}
