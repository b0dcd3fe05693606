package vfs

import (
	"testing"
	"time"
)

func TestTimeSlice(t *testing.T) {
	const base = 750 * time.Microsecond
	for _, tc := range []struct {
		cpus int
		want time.Duration
	}{
		{0, base}, {1, base}, {2, 2 * base}, {3, 2 * base}, {4, 3 * base}, {8, 4 * base}, {64, 4 * base},
	} {
		if got := timeSlice(tc.cpus); got != tc.want {
			t.Errorf("timeSlice(%d) = %v, want %v", tc.cpus, got, tc.want)
		}
	}
}
