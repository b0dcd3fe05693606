package config

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Common sizes.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
)

// BlockSize is the block and page size of the model: every size that addresses file
// data (bs, length, region, file and cache sizes) must be a multiple of it.
const BlockSize Size = 4 * KiB

// Size is a byte count. YAML and -set accept a bare integer (4096) or a number with a
// binary unit: B, K or KiB, M or MiB, G or GiB, T or TiB (case-insensitive, "1.5GiB" is
// fine when it is a whole number of bytes). "KB", "MB" and friends are rejected as
// ambiguous. JSON writes the plain byte count and reads either form.
type Size int64

// ParseSize parses a size as YAML and -set accept it (see Size).
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("want a size like 4096 or 64MiB, got an empty string")
	}
	if t[0] == '-' {
		return 0, fmt.Errorf("must not be negative, got %q", s)
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	var mult int64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kib":
		mult = int64(KiB)
	case "m", "mib":
		mult = int64(MiB)
	case "g", "gib":
		mult = int64(GiB)
	case "t", "tib":
		mult = int64(TiB)
	case "kb", "mb", "gb", "tb":
		return 0, fmt.Errorf("ambiguous unit in %q: write %s (binary) or a byte count", s, strings.ToUpper(unit[:1])+"iB")
	default:
		return 0, fmt.Errorf("invalid size %q: want bytes or a number with B, KiB, MiB, GiB or TiB", s)
	}
	whole, frac, dot := strings.Cut(num, ".")
	if whole == "" || (dot && frac == "") || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("invalid size %q: want bytes or a number with B, KiB, MiB, GiB or TiB", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	v := w * mult
	if frac != "" {
		// The fraction must come out as a whole number of bytes: 1.5KiB is 1536, 1.1B is not a size.
		if len(frac) > 18 {
			return 0, fmt.Errorf("invalid size %q: too many decimals", s)
		}
		f, _ := strconv.ParseInt(frac, 10, 64)
		den := int64(1)
		for range len(frac) {
			den *= 10
		}
		hi, lo := bits.Mul64(uint64(f), uint64(mult))
		if hi != 0 || lo%uint64(den) != 0 {
			return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
		}
		add := int64(lo / uint64(den))
		if v > math.MaxInt64-add {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		v += add
	}
	return Size(v), nil
}

// sizeFromValue converts a decoded YAML scalar to a Size.
func sizeFromValue(v any) (Size, error) {
	switch x := v.(type) {
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("size %d is too large", x)
		}
		return Size(x), nil
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("must not be negative, got %d", x)
		}
		return Size(x), nil
	case string:
		return ParseSize(x)
	}
	return 0, fmt.Errorf("want a size like 4096 or 64MiB, got %v", v)
}

// String formats s in the largest binary unit that divides it: 4096 is "4KiB",
// 1000 is "1000B", 0 is "0".
func (s Size) String() string {
	if s == 0 {
		return "0"
	}
	sign, a := "", uint64(s)
	if s < 0 {
		sign, a = "-", uint64(-s)
	}
	for _, u := range [...]struct {
		n    uint64
		name string
	}{{uint64(TiB), "TiB"}, {uint64(GiB), "GiB"}, {uint64(MiB), "MiB"}, {uint64(KiB), "KiB"}} {
		if a%u.n == 0 {
			return fmt.Sprintf("%s%d%s", sign, a/u.n, u.name)
		}
	}
	return fmt.Sprintf("%s%dB", sign, a)
}

// UnmarshalYAML decodes a size (goccy/go-yaml NodeUnmarshaler).
func (s *Size) UnmarshalYAML(n ast.Node) error { return unmarshalScalar(n, s, sizeFromValue) }

// UnmarshalJSON reads a byte count or a size string.
func (s *Size) UnmarshalJSON(b []byte) error { return unmarshalJSON(b, s, sizeFromValue) }

// Duration is a time.Duration written in Go syntax ("5s", "100ms", "1m30s"); a bare 0
// is also accepted. JSON writes the Go string and reads a string or nanoseconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d in Go syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// durationFromValue converts a decoded YAML scalar to a Duration.
func durationFromValue(v any) (Duration, error) {
	switch x := v.(type) {
	case uint64, int64:
		if fmt.Sprint(x) == "0" {
			return 0, nil
		}
		return 0, fmt.Errorf("missing unit in duration %v: write %vs or %vms", x, x, x)
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: want Go syntax like 5s or 100ms", x)
		}
		return Duration(d), nil
	}
	return 0, fmt.Errorf("want a duration like 5s or 100ms, got %v", v)
}

// UnmarshalYAML decodes a duration (goccy/go-yaml NodeUnmarshaler).
func (d *Duration) UnmarshalYAML(n ast.Node) error { return unmarshalScalar(n, d, durationFromValue) }

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error { return unmarshalJSON(b, d, durationFromValue) }

// unmarshalScalar is the UnmarshalYAML of Size and Duration: it converts the
// scalar n to *dst with conv.
func unmarshalScalar[T any](n ast.Node, dst *T, conv func(any) (T, error)) error {
	s, ok := n.(ast.ScalarNode)
	if !ok {
		return &valueError{n, fmt.Sprintf("want %s, got %s", want(reflect.TypeFor[T]()), describe(n))}
	}
	v, err := conv(s.GetValue())
	if err != nil {
		return &valueError{n, err.Error()}
	}
	*dst = v
	return nil
}

// unmarshalJSON is the UnmarshalJSON of Size and Duration: a JSON number is the
// count itself (bytes, nanoseconds), a string is converted with conv.
func unmarshalJSON[T ~int64](b []byte, dst *T, conv func(any) (T, error)) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		*dst = T(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want %s, got %s", want(reflect.TypeFor[T]()), b)
	}
	v, err := conv(s)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}
