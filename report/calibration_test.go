package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/results/resultstest"
)

const calibrateFixture = "testdata/calibrate.json"

// calibrateConfig is the resolved config of the fixture, down to what the report
// reads: the goals.
const calibrateConfig = `{"name":"calibrate","strategies":["invalidate","kernel","raw"],` +
	`"sweep":{"sets":[{"name":"hit","set":["strategies=invalidate,kernel"]},` +
	`{"name":"hit-norecord","set":["strategies=invalidate","record=false"]},` +
	`{"name":"hit-noverify","set":["strategies=invalidate","verify=off"]},` +
	`{"name":"cold","set":["files.size=256MiB"]},{"name":"fault","set":["strategies=invalidate,kernel","jobs[0].op=fault"]}]},` +
	`"goals":[{"phase":"hit","op":"read","vs":"kernel","min":3},` +
	`{"phase":"hit","op":"read","vs":"invalidate","vs_phase":"hit-norecord","min":0.95},` +
	`{"phase":"hit","op":"read","vs":"invalidate","vs_phase":"hit-noverify","min":0},` +
	`{"phase":"cold","op":"read","vs":"raw","min":0.9},` +
	`{"phase":"fault","op":"fault","vs":"kernel","min":2}]}`

// calibrateSpec is a calibration run: the model against the kernel on the hit
// path and the fault path, against raw on cold reads (the raw target does not
// apply to the cached phases, so those cells are missing), and against itself
// with recording and verification off. The fault goal is missed.
func calibrateSpec() resultstest.Spec {
	phase := func(p string) map[string]string { return map[string]string{"phase": p} }
	read := func(rate, p50 float64) []resultstest.OpSpec {
		return []resultstest.OpSpec{{Op: "read", OpsPerSec: rate, P50Ns: p50, Bytes: 4096, Noise: 0.02}}
	}
	fault := func(rate, p50 float64) []resultstest.OpSpec {
		return []resultstest.OpSpec{{Op: "fault", OpsPerSec: rate, P50Ns: p50, Bytes: 4096, Noise: 0.02}}
	}
	return resultstest.Spec{
		Seed: 7, Name: "calibrate", RWBench: "v0.2.0", Config: calibrateConfig,
		Started: time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC), Machine: resultstest.Machine(), DurationSec: 5,
		Cells: []resultstest.CellSpec{
			{Strategy: "invalidate", Params: phase("hit"), Runs: 6, Ops: read(1.31e6, 640)},
			{Strategy: "kernel", Target: "kernel", Params: phase("hit"), Runs: 6, Ops: read(402000, 2200)},
			{Strategy: "invalidate", Params: phase("hit-norecord"), Runs: 6, Ops: read(1.33e6, 0)},
			{Strategy: "invalidate", Params: phase("hit-noverify"), Runs: 6, Ops: read(1.52e6, 560)},
			{Strategy: "invalidate", Params: phase("cold"), Runs: 6, Ops: read(11800, 82000)},
			{Strategy: "kernel", Target: "kernel", Params: phase("cold"), Runs: 6, Ops: read(12900, 75000), Torn: 3},
			{Strategy: "raw", Target: "raw", Params: phase("cold"), Runs: 6, Ops: read(12500, 78000)},
			{Strategy: "invalidate", Params: phase("fault"), Runs: 6, Ops: fault(610000, 1400)},
			{Strategy: "kernel", Target: "kernel", Params: phase("fault"), Runs: 6, Ops: fault(380000, 2400)},
		},
	}
}

// buildCalibrate builds the fixture; the hit-norecord runs time nothing.
func buildCalibrate() *results.File {
	f := resultstest.Build(calibrateSpec())
	for i := range f.Results {
		c := &f.Results[i]
		if c.Params["phase"] != "hit-norecord" {
			continue
		}
		for j := range c.Runs {
			c.Runs[j].NoLatency = true
			s := c.Runs[j].Ops["read"]
			s.LatencyNs = results.Latency{}
			c.Runs[j].Ops["read"] = s
		}
		results.Summarize(c, results.DefaultConfidence)
	}
	return f
}

func loadCalibrate(t *testing.T) *results.File {
	t.Helper()
	if *update {
		if err := results.Write(calibrateFixture, buildCalibrate()); err != nil {
			t.Fatal(err)
		}
	}
	f, err := results.Read(calibrateFixture)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCalibrationGolden(t *testing.T) {
	f := loadCalibrate(t)
	for _, format := range []string{"text", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, f); err != nil {
				t.Fatal(err)
			}
			golden(t, "calibrate."+format+".golden", b.Bytes())
		})
	}
}

// calibrationRows returns the rows of the calibration table of files.
func calibrationRows(files ...*results.File) ([][]string, calibration) {
	names := configNames(files)
	t, sum := calibrationTable(files, names)
	if t == nil {
		return nil, sum
	}
	return t.rows, sum
}

func TestCalibrationTable(t *testing.T) {
	f := loadCalibrate(t)
	rows, sum := calibrationRows(f)
	if sum.pass != 3 || sum.fail != 1 || sum.missing != 0 {
		t.Errorf("verdicts %+v, want 3 pass, 1 fail", sum)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r[1], r[2], r[3], r[5], r[7], r[8], r[9]}, " "))
	}
	want := []string{
		"phase=hit read invalidate kernel 3.25× >= 3.00× pass",
		"phase=hit read invalidate invalidate (phase=hit-norecord) 0.967× >= 0.950× pass",
		"phase=hit read invalidate invalidate (phase=hit-noverify) 0.851× - -",
		"phase=cold read invalidate kernel 0.940× - -",
		"phase=cold read invalidate raw 0.949× >= 0.900× pass",
		"phase=fault fault invalidate kernel 1.59× >= 2.00× FAIL",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The unrecorded runs show no latency in the main table.
	var b bytes.Buffer
	if err := Write(&b, "text", f); err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(b.String(), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == "invalidate" && f[2] == "phase=hit-norecord" && f[3] == "read" && !strings.Contains(line, " - ") {
			t.Errorf("a run without latency shows one: %s", line)
		}
	}
}

// TestCalibrationMissing: a goal whose cells are missing is reported as not
// measured, and a file without kernel, raw or goals has no calibration section.
func TestCalibrationMissing(t *testing.T) {
	f := loadCalibrate(t)
	g := *f
	g.Results = nil
	for _, c := range f.Results {
		if c.Target != "raw" && c.Params["phase"] != "fault" {
			g.Results = append(g.Results, c)
		}
	}
	rows, sum := calibrationRows(&g)
	if sum.pass != 2 || sum.fail != 0 || sum.missing != 2 {
		t.Errorf("verdicts %+v, want 2 pass, 2 not measured", sum)
	}
	last := rows[len(rows)-1]
	if strings.Join(last, " ") != "calibrate phase=fault fault - - kernel - ? >= 2.00× n/a" {
		t.Errorf("last row %q", last)
	}
	if rows, _ := calibrationRows(loadFixture(t)); rows != nil {
		t.Errorf("calibration rows for a file without references: %v", rows)
	}
	var b bytes.Buffer
	if err := Write(&b, "text", loadFixture(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "calibration") {
		t.Error("calibration section in a report without references")
	}
}
