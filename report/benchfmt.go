package report

import (
	"io"
	"sort"
	"strings"

	"github.com/rwbench/rwbench/results"
	"golang.org/x/perf/benchfmt"
)

// benchName is a cell and op as a benchmark name (without the "Benchmark" prefix):
// "RW/strategy=S/op=O/k1=v1/k2=v2", params sorted by key. Characters that would end
// the name or split a part (white space, '/') become '_'.
func benchName(c *results.Cell, op string) string {
	clean := strings.NewReplacer(" ", "_", "\t", "_", "\n", "_", "/", "_")
	var b strings.Builder
	b.WriteString("RW/strategy=" + clean.Replace(c.Strategy) + "/op=" + clean.Replace(op))
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("/" + clean.Replace(k) + "=" + clean.Replace(c.Params[k]))
	}
	return b.String()
}

// configValue is a file configuration value: one line, never empty.
func configValue(s string) []byte {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "unknown"
	}
	return []byte(s)
}

// writeBenchfmt writes one benchmark line per run and op. The iteration count is the
// op count of the run; the values are ns/op (1e9 / ops_per_sec: the inverse of the
// throughput, not the mean latency, which with concurrent workers is longer),
// ops/s, p99-ns (the run's p99 latency) and MB/s. Lines for an op that never
// completed carry ops/s alone. Unit lines tell benchstat which way is better.
func writeBenchfmt(w io.Writer, files []*results.File) error {
	bw := benchfmt.NewWriter(w)
	for _, u := range []struct{ unit, better string }{{"ops/s", "higher"}, {"p99-ns", "lower"}} {
		m := &benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.unit, Key: "better"},
			OrigUnit:        u.unit,
			Value:           u.better,
		}
		if err := bw.Write(m); err != nil {
			return err
		}
	}
	names := configNames(files)
	for fi, f := range files {
		cfg := []benchfmt.Config{
			{Key: "goos", Value: configValue(f.Machine.GOOS), File: true},
			{Key: "goarch", Value: configValue(f.Machine.GOARCH), File: true},
			{Key: "cpu", Value: configValue(f.Machine.Brand), File: true},
			{Key: "rwbench", Value: configValue(f.RWBench), File: true},
			{Key: "config", Value: configValue(names[fi]), File: true},
		}
		for ci := range f.Results {
			c := &f.Results[ci]
			for _, op := range results.CellOps(c) {
				name := benchName(c, op)
				for ri := range c.Runs {
					s, ok := c.Runs[ri].Ops[op]
					if !ok {
						continue
					}
					res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name), Iters: int(max(s.Count, 1))}
					if s.OpsPerSec > 0 && s.Count > 0 {
						res.Values = append(res.Values, benchfmt.Value{Value: 1e9 / s.OpsPerSec, Unit: "ns/op"})
					}
					res.Values = append(res.Values, benchfmt.Value{Value: s.OpsPerSec, Unit: "ops/s"})
					if s.Count > 0 {
						res.Values = append(res.Values, benchfmt.Value{Value: s.LatencyNs.P99, Unit: "p99-ns"})
					}
					if s.BytesPerSec > 0 {
						res.Values = append(res.Values, benchfmt.Value{Value: s.BytesPerSec / 1e6, Unit: "MB/s"})
					}
					if err := bw.Write(res); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
