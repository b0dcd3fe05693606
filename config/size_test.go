package config_test

import (
	"testing"

	"github.com/rwbench/rwbench/config"
)

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want config.Size
		err  string
	}{
		{"4096", 4096, ""},
		{"512B", 512, ""},
		{"4KiB", 4096, ""},
		{"4K", 4096, ""},
		{"4 kib", 4096, ""},
		{"64MiB", 64 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"2TiB", 2 << 40, ""},
		{"1.5KiB", 1536, ""},
		{"0", 0, ""},
		{"1.1B", 0, `size "1.1B" is not a whole number of bytes`},
		{"4KB", 0, `ambiguous unit in "4KB": write KiB (binary) or a byte count`},
		{"-1", 0, `must not be negative, got "-1"`},
		{"", 0, `want a size like 4096 or 64MiB, got an empty string`},
		{"KiB", 0, `invalid size "KiB": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"1.", 0, `invalid size "1.": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"1.2.3", 0, `invalid size "1.2.3": want bytes or a number with B, KiB, MiB, GiB or TiB`},
		{"9999999TiB", 0, `size "9999999TiB" is too large`},
		{"99999999999999999999", 0, `size "99999999999999999999" is too large`},
	} {
		got, err := config.ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSize(%q) = %v, %v; want error %s", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %d", tc.in, int64(got), err, tc.want)
		}
		if back, err := config.ParseSize(got.String()); err != nil || back != got {
			t.Errorf("ParseSize(%q.String() = %q) = %v, %v", tc.in, got.String(), back, err)
		}
	}
	for s, want := range map[config.Size]string{0: "0", 1000: "1000B", 4096: "4KiB", 3 * config.GiB: "3GiB", -4096: "-4KiB"} {
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(s), got, want)
		}
	}
}
