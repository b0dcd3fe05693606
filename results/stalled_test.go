package results_test

import (
	"testing"

	"github.com/rwbench/rwbench/results"
)

func TestStalled(t *testing.T) {
	r := &results.Run{Ops: map[string]results.OpStats{
		"read":  {Count: 1000, OpsPerSec: 500},
		"punch": {Count: 0},
		"zero":  {Count: 8, OpsPerSec: 4},
	}}
	tests := []struct {
		key   string
		asked float64
		want  bool
	}{
		{"read", 0, false},
		{"punch", 0, true},
		{"punch", 20, true},
		{"zero", 5, false},
		{"zero", 20, true},
		{"advise", 20, false}, // not in the run
	}
	for _, tt := range tests {
		if got := results.Stalled(r, tt.key, tt.asked); got != tt.want {
			t.Errorf("Stalled(%s, asked %v) = %v, want %v", tt.key, tt.asked, got, tt.want)
		}
	}
}
