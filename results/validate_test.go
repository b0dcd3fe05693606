package results_test

import (
	"math"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestValidateValues: a count, rate, duration or latency no run can have
// measured makes the file invalid, with the field's path in the message.
func TestValidateValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(r *results.Run)
		want  string
	}{
		{"negative count", func(r *results.Run) { s := r.Ops["read"]; s.Count = -1; r.Ops["read"] = s }, "ops.read.count is -1"},
		{"negative rate", func(r *results.Run) { s := r.Ops["read"]; s.OpsPerSec = -5; r.Ops["read"] = s }, "ops.read.ops_per_sec is -5"},
		{"NaN rate", func(r *results.Run) { s := r.Ops["read"]; s.BytesPerSec = math.NaN(); r.Ops["read"] = s }, "ops.read.bytes_per_sec is NaN"},
		{"negative errors", func(r *results.Run) { s := r.Ops["read"]; s.Errors = -2; r.Ops["read"] = s }, "ops.read.errors is -2"},
		{"negative p99", func(r *results.Run) { s := r.Ops["read"]; s.LatencyNs.P99 = -1; r.Ops["read"] = s }, "ops.read.latency_ns.p99 is -1"},
		{"negative duration", func(r *results.Run) { r.DurationNs = -1 }, "duration_ns is -1"},
		{"negative stale", func(r *results.Run) { r.Verify.Stale = -3 }, "verify.stale is -3"},
		{"negative interval", func(r *results.Run) {
			r.Intervals = []results.Interval{{Ops: map[string]int64{"read": -7}}}
		}, "intervals[0].ops.read is -7"},
	} {
		f := sampleFile()
		r := &f.Results[0].Runs[0]
		if r.Ops == nil {
			r.Ops = map[string]results.OpStats{}
		}
		if _, ok := r.Ops["read"]; !ok {
			r.Ops["read"] = results.OpStats{Count: 1}
		}
		if err := results.Validate(f); err != nil {
			t.Fatalf("%s: the file before spoiling: %v", tc.name, err)
		}
		tc.spoil(r)
		err := results.Validate(f)
		if err == nil || !strings.Contains(err.Error(), "results[0] (") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.want)
		}
	}
}
