package compare

import (
	"fmt"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// Outcome is a comparison's answer; the command maps each to its exit code.
type Outcome string

// Outcomes of a comparison.
const (
	// OutcomeRegression: at least one significant change worse than the threshold.
	OutcomeRegression Outcome = "regression"
	// OutcomeNone: no regression, and every comparison could have seen a change
	// of the threshold's size.
	OutcomeNone Outcome = "no regression detected"
	// OutcomeInconclusive: no regression found, but the files could not show one:
	// too few runs or too much noise for the threshold, a partial or failed new
	// run, or cells and ops of the old file that the new one lacks.
	OutcomeInconclusive Outcome = "inconclusive"
)

// decide sets r.Outcome and the reasons it is inconclusive. A regression wins
// over everything else: it is there whatever else could not be seen.
func (r *Report) decide(old, new *results.File) {
	if new.Partial {
		r.Reasons = append(r.Reasons, "the new file is partial: the run was interrupted")
	}
	if new.Failed != "" {
		r.Reasons = append(r.Reasons, "the new run failed: "+new.Failed)
	}
	runs := 0
	for i := range new.Results {
		runs += len(new.Results[i].Runs)
	}
	if runs == 0 {
		r.Reasons = append(r.Reasons, "the new file has no runs")
	}
	if len(r.Removed) > 0 && len(r.Ignored) == 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d cells or ops of the old file are missing from the new one", len(r.Removed)))
	}
	if len(r.Rows) == 0 && runs > 0 {
		r.Reasons = append(r.Reasons, "no cell and op is in both files")
	}
	if n := len(r.rowsWith(Inconclusive)); n > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d of %d comparisons could not have seen a change of %s (too few runs or too much noise; see detectable)",
			n, len(r.Rows), pct(r.Threshold)))
	}
	switch {
	case r.Regressed():
		r.Outcome = OutcomeRegression
	case len(r.Reasons) > 0:
		r.Outcome = OutcomeInconclusive
	default:
		r.Outcome = OutcomeNone
	}
}

// rowsWith returns the rows whose verdict is v.
func (r *Report) rowsWith(v string) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == v {
			out = append(out, row)
		}
	}
	return out
}

// verdictRank orders rows for the reader: regressions, improvements,
// inconclusive, then the rest.
func verdictRank(v string) int {
	switch v {
	case Regression:
		return 0
	case Improvement:
		return 1
	case Inconclusive:
		return 2
	case WithinThreshold:
		return 3
	}
	return 4
}

// splitIgnored splits differing config keys into those ignore covers (the key
// itself or a key above it: "cache" covers "cache.size" and "jobs" covers
// "jobs[1].threads") and the others.
func splitIgnored(keys, ignore []string) (ignored, rest []string) {
	for _, k := range keys {
		covered := false
		for _, ig := range ignore {
			if k == ig || strings.HasPrefix(k, ig+".") || strings.HasPrefix(k, ig+"[") {
				covered = true
			}
		}
		if covered {
			ignored = append(ignored, k)
		} else {
			rest = append(rest, k)
		}
	}
	return ignored, rest
}

// fileWarnings are the one-line warnings about the files themselves.
func fileWarnings(old, new *results.File) []string {
	var w []string
	for _, s := range []struct {
		side string
		f    *results.File
	}{{"old", old}, {"new", new}} {
		if s.f.Partial {
			w = append(w, s.side+" file is partial: the run was interrupted")
		}
		if s.f.Failed != "" {
			w = append(w, s.side+" run failed: "+s.f.Failed)
		}
	}
	om, nm := old.Machine, new.Machine
	var diff []string
	for _, f := range []struct {
		name    string
		differs bool
	}{
		{"cpu", om.Brand != nm.Brand},
		{"cpus", om.LogicalCores != nm.LogicalCores || om.CPUs != nm.CPUs},
		{"hypervisor", om.Hypervisor != nm.Hypervisor},
		{"kernel", om.Kernel != nm.Kernel},
		{"GOMAXPROCS", om.GOMAXPROCS != nm.GOMAXPROCS},
		{"filesystem", om.FSType != nm.FSType},
		{"go version", om.GoVersion != nm.GoVersion},
		// latencies timed on the TSC and on the monotonic clock differ by some ns
		{"clock", om.Clock != nm.Clock},
	} {
		if f.differs {
			diff = append(diff, f.name)
		}
	}
	if len(diff) > 0 {
		w = append(w, "the files come from different machines or setups ("+strings.Join(diff, ", ")+"): differences may not be rwbench's")
	}
	return w
}
