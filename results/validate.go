package results

import (
	"fmt"
	"math"
)

// validateValues refuses a file whose figures cannot have been measured: a
// negative count, rate, duration or latency, or a rate that is not a number.
// Such a file was edited or damaged, and any verdict drawn from it is wrong.
func validateValues(f *File) error {
	for ci := range f.Results {
		c := &f.Results[ci]
		for ri := range c.Runs {
			r := &c.Runs[ri]
			at := func(what string) string { return fmt.Sprintf("results[%d] (%s) runs[%d]: %s", ci, Key(c), ri, what) }
			if r.DurationNs < 0 {
				return fmt.Errorf("%s is %d, negative", at("duration_ns"), r.DurationNs)
			}
			for k, s := range r.Ops {
				for _, v := range []struct {
					name string
					n    float64
				}{
					{"count", float64(s.Count)}, {"bytes", float64(s.Bytes)}, {"errors", float64(s.Errors)},
					{"ops_per_sec", s.OpsPerSec}, {"bytes_per_sec", s.BytesPerSec},
					{"latency_ns.p50", s.LatencyNs.P50}, {"latency_ns.p99", s.LatencyNs.P99}, {"latency_ns.max", s.LatencyNs.Max},
				} {
					if v.n < 0 || math.IsNaN(v.n) || math.IsInf(v.n, 0) {
						return fmt.Errorf("%s is %v: impossible", at("ops."+k+"."+v.name), v.n)
					}
				}
			}
			for _, v := range []struct {
				name string
				n    int64
			}{{"checked", r.Verify.Checked}, {"stale", r.Verify.Stale}, {"foreign", r.Verify.Foreign}, {"torn", r.Verify.Torn}, {"corrupt", r.Verify.Corrupt}} {
				if v.n < 0 {
					return fmt.Errorf("%s is %d, negative", at("verify."+v.name), v.n)
				}
			}
			for ii, iv := range r.Intervals {
				for k, n := range iv.Ops {
					if n < 0 {
						return fmt.Errorf("%s is %d, negative", at(fmt.Sprintf("intervals[%d].ops.%s", ii, k)), n)
					}
				}
			}
		}
	}
	return nil
}
