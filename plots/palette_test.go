package plots

import (
	"image/color"
	"testing"
)

// TestPaletteDistinct checks that no two known strategies or targets, the real
// filesystems included, are drawn in the same color.
func TestPaletteDistinct(t *testing.T) {
	names := []string{"none", "irwsem", "perpage", "perbatch", "invalidate", "kernel", "raw",
		"rangelock", "lockentries", "naive", "xfs", "ext4", "btrfs"}
	seen := map[color.Color]string{}
	for _, n := range names {
		r := strategyRank(n)
		if r < 0 {
			t.Fatalf("%s has no rank", n)
		}
		c := paletteColor(r)
		if other, ok := seen[c]; ok {
			t.Errorf("%s and %s share the color %v", n, other, c)
		}
		seen[c] = n
	}
}
