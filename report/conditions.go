package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// conditionLines are the header's lines for the cells that set conditions on
// the host (the real-filesystem targets): per cell, what its runs set and what
// they could not, each distinct line once, in the order of the runs. A setting
// whose value differs between runs (the memory limit, measured per run) is one
// entry, its range over the runs.
func conditionLines(f *results.File) []string {
	var out []string
	for _, c := range f.Results {
		var lines []string
		for _, r := range c.Runs {
			for _, s := range r.Conditions {
				if !slices.Contains(lines, s) {
					lines = append(lines, s)
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		who := c.Strategy
		if p := results.ParamsString(c.Params); p != "" {
			who += " " + p
		}
		out = append(out, "conditions "+who+": "+strings.Join(mergeRanges(lines), "; "))
	}
	return out
}

// mergeRanges makes the lines of one setting ("key=value ...") with different
// values one line, "key=lowest–highest over the runs", where the first was.
func mergeRanges(lines []string) []string {
	type span struct {
		lo, hi int64
		n      int
	}
	spans := map[string]*span{}
	for _, l := range lines {
		if k, v, ok := setting(l); ok {
			if s := spans[k]; s != nil {
				s.lo, s.hi, s.n = min(s.lo, v), max(s.hi, v), s.n+1
			} else {
				spans[k] = &span{v, v, 1}
			}
		}
	}
	var out []string
	for _, l := range lines {
		k, _, ok := setting(l)
		switch s := spans[k]; {
		case !ok || s.n == 1:
			out = append(out, l)
		case s.n > 1:
			out = append(out, fmt.Sprintf("%s=%d–%d over the runs", k, s.lo, s.hi))
			s.n = 0 // the first line stands for them all
		}
	}
	return out
}

// setting splits a condition "key=value ..." whose value is a number into its
// key and value, dropping what follows the value.
func setting(s string) (string, int64, bool) {
	k, rest, ok := strings.Cut(s, "=")
	if !ok || strings.ContainsAny(k, " :") {
		return "", 0, false
	}
	num, _, _ := strings.Cut(rest, " ")
	v, err := strconv.ParseInt(num, 10, 64)
	return k, v, err == nil
}
