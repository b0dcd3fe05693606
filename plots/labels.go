package plots

import (
	"maps"
	"slices"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// knownStrategies is the number of strategies with a fixed rank and color.
const knownStrategies = 13

// strategyRank gives the known strategies (and the kernel and raw targets) a fixed
// order and palette index; -1 for others.
func strategyRank(s string) int {
	switch s {
	case "none":
		return 0
	case "irwsem":
		return 1
	case "perpage":
		return 2
	case "perbatch":
		return 3
	case "invalidate":
		return 4
	case "kernel":
		return 5
	case "raw":
		return 6
	case "rangelock":
		return 7
	case "lockentries":
		return 8
	case "naive":
		return 9
	case "xfs":
		return 10
	case "ext4":
		return 11
	case "btrfs":
		return 12
	}
	return -1
}

func cellLabel(c results.Cell) string {
	switch {
	case c.Strategy != "":
		return c.Strategy
	case c.Target != "":
		return c.Target
	}
	return "?"
}

func sortOps(ops []string) []string {
	results.SortOps(ops)
	return ops
}

func shortMode(m string) string {
	if m == "exclusive" {
		return "excl"
	}
	return m
}

func without(m map[string]string, key string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// paramsLabel is "k1=v1, k2=v2" in key order; empty for no params.
func paramsLabel(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// paramsSlug is "k1-v1_k2-v2" in key order, for file names.
func paramsSlug(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, sanitize(k)+"-"+sanitize(m[k]))
	}
	return strings.Join(parts, "_")
}

func bracket(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}

// sanitize keeps [A-Za-z0-9.+-] and replaces the rest by '_'.
func sanitize(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '+', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if strings.Trim(out, ".") == "" { // ".", ".." are not file names
		out = strings.ReplaceAll(out, ".", "_")
	}
	return out
}
