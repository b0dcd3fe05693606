package report

import (
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/rwbench/rwbench/results"
)

// csvFloat formats a float exactly and without an exponent.
func csvFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func csvInt(x int64) string { return strconv.FormatInt(x, 10) }

// writeCSV writes one row per run and op. Every sweep param of any cell gets a
// "param.KEY" column (empty where a cell lacks it); stale, foreign and torn are
// given both for the op (op_stale, op_foreign, op_torn: the findings attributed
// to it, empty when the run does not attribute them) and for the run (run_*).
func writeCSV(w io.Writer, files []*results.File) error {
	names := configNames(files)
	keySet := map[string]bool{}
	for _, f := range files {
		for _, c := range f.Results {
			for k := range c.Params {
				keySet[k] = true
			}
		}
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	header := []string{"config", "rwbench", "strategy", "target", "params"}
	for _, k := range keys {
		header = append(header, "param."+k)
	}
	header = append(header, "rep", "run_started", "duration_ns", "op", "count", "bytes", "errors",
		"ops_per_sec", "bytes_per_sec",
		"lat_min_ns", "lat_mean_ns", "lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns", "lat_max_ns", "lat_stddev_ns",
		"op_stale", "op_foreign", "op_torn", "run_checked", "run_stale", "run_foreign", "run_torn", "run_corrupt", "fsck_ok")

	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for fi, f := range files {
		for ci := range f.Results {
			c := &f.Results[ci]
			ops := results.CellOps(c)
			for ri := range c.Runs {
				r := &c.Runs[ri]
				for _, op := range ops {
					s, ok := r.Ops[op]
					if !ok {
						continue
					}
					row := []string{names[fi], f.RWBench, c.Strategy, c.Target, results.ParamsString(c.Params)}
					for _, k := range keys {
						row = append(row, c.Params[k])
					}
					started := ""
					if !r.Started.IsZero() {
						started = r.Started.UTC().Format(time.RFC3339Nano)
					}
					opStale, opForeign, opTorn := "", "", ""
					if f, ok := r.FindingsOf(op); ok {
						opStale, opForeign, opTorn = csvInt(f.Stale), csvInt(f.Foreign), csvInt(f.Torn)
					}
					l := s.LatencyNs
					row = append(row, strconv.Itoa(r.Rep), started, csvInt(r.DurationNs), op,
						csvInt(s.Count), csvInt(s.Bytes), csvInt(s.Errors),
						csvFloat(s.OpsPerSec), csvFloat(s.BytesPerSec),
						csvFloat(l.Min), csvFloat(l.Mean), csvFloat(l.P50), csvFloat(l.P90), csvFloat(l.P99),
						csvFloat(l.P999), csvFloat(l.P9999), csvFloat(l.Max), csvFloat(l.Stddev),
						opStale, opForeign, opTorn, csvInt(r.Verify.Checked),
						csvInt(r.Verify.Stale), csvInt(r.Verify.Foreign), csvInt(r.Verify.Torn), csvInt(r.Verify.Corrupt),
						strconv.FormatBool(r.Fsck.Ok))
					if err := cw.Write(row); err != nil {
						return err
					}
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
