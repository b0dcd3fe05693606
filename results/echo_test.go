package results_test

import (
	"encoding/json"
	"testing"

	"github.com/rwbench/rwbench/results"
)

func TestNormalizeConfig(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name":"5s","duration":"5s","warmup":"500ms","race_window":"0s","repeat":3}`,
			`{"name":"5s","duration_ns":5000000000,"warmup_ns":500000000,"race_window_ns":0,"repeat":3}`},
		{`{"cache":{"size":"64MiB","flusher":"100ms"},"jobs":[{"op":"read","files":"2-3","rate":0.5},{"op":"punch"}]}`,
			`{"cache":{"size":"64MiB","flusher_ns":100000000},"jobs":[{"op":"read","files":"2-3","rate":0.5},{"op":"punch"}]}`},
		{`{"sweep":{"param":"race_window","values":["1ms","0"]},"description":"1h","empty":{},"list":[]}`,
			`{"sweep":{"param":"race_window","values":["1ms","0"]},"description":"1h","empty":{},"list":[]}`},
		{`{"duration_ns":5000000000}`, `{"duration_ns":5000000000}`}, // already normalized
		{`not json`, `not json`},
		{``, ``},
	} {
		got := string(results.NormalizeConfig(json.RawMessage(tc.in)))
		if got != tc.want {
			t.Errorf("NormalizeConfig(%s)\n = %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestHistLowerBounds(t *testing.T) {
	got := results.HistLowerBounds(5)
	want := []int64{0, 1, 2, 4, 8}
	for i := range want {
		if len(got) != len(want) || got[i] != want[i] {
			t.Fatalf("HistLowerBounds(5) = %v, want %v", got, want)
		}
	}
	// Each bucket's lower bound is the previous bucket's upper bound.
	for i := 1; i < len(got); i++ {
		if float64(got[i]) != results.HistBound(i-1) && i > 1 {
			t.Errorf("bucket %d starts at %d, bucket %d ends at %v", i, got[i], i-1, results.HistBound(i-1))
		}
	}
	if results.HistLowerBounds(0) != nil {
		t.Error("HistLowerBounds(0) is not nil")
	}
}

// FuzzNormalizeConfig: the rewrite of a JSON echo is JSON, and rewriting it
// again changes nothing.
func FuzzNormalizeConfig(f *testing.F) {
	f.Add(`{"duration":"5s","jobs":[{"rate":1,"x":"1ms"}],"name":"a"}`)
	f.Add(`{"a":{"b":{"c":"0s"}},"d":[[],{}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		once := results.NormalizeConfig(json.RawMessage(in))
		if !json.Valid(once) {
			t.Fatalf("NormalizeConfig(%s) = %s, not JSON", in, once)
		}
		if twice := results.NormalizeConfig(once); string(twice) != string(once) {
			t.Fatalf("not idempotent: %s then %s", once, twice)
		}
	})
}
