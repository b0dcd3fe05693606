package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/units"
)

// Answer is what a results file says, in a few lines: per strategy whether the
// oracle found stale data and where, the after-run check, the lock validator,
// the jobs that stalled, and the fastest and slowest cell per op. Its problem
// lists are what `run -fail-on` gates on.
type Answer struct {
	// Lines are the answer for a person, one finding each.
	Lines []string
	// Findings are the cells of a strategy that must be clean (every one but
	// none) where the oracle found stale, foreign, torn (results.Cell.TornIsFinding)
	// or corrupt data.
	Findings []string
	// Fsck are the cells of a strategy that must be clean with a failed
	// after-run check (under none, a lost write is the race it models).
	Fsck []string
	// Validator are the cells with lock validator findings.
	Validator []string
	// Stalled are the jobs that completed no op, or far fewer than their rate
	// asks (results.Stalled), as "cell job: what".
	Stalled []string
	// StalledByJob are the same, one line per job with its cells, for a
	// person: "punch in none (0 ops in 1 of 2 runs); perpage (...)".
	StalledByJob []string
}

// mayFind reports whether the oracle is expected to find stale data in cell
// c: only under a model strategy that does not close the race (none). The
// real kernel's targets (kernel, raw, xfs, ext4, btrfs) must be clean.
func mayFind(c *results.Cell) bool {
	model := c.Target == "model" || c.Target == ""
	return model && !slices.Contains(strategies.SafeNames(), c.Strategy) && c.Strategy != "naive"
}

// Asked returns what each job of each cell of f asks, in ops/s: its threads
// times its rate, 0 for a closed loop; by results.Key of the cell, then by job
// key. nil when the config echo cannot be read.
func Asked(f *results.File) map[string]map[string]float64 {
	var c config.Config
	if len(f.Config) == 0 || json.Unmarshal(f.Config, &c) != nil {
		return nil
	}
	points, err := c.Points()
	if err != nil {
		return nil
	}
	out := map[string]map[string]float64{}
	for _, p := range points {
		m := map[string]float64{}
		for i, j := range p.Config.Jobs {
			m[p.Config.JobKey(i)] = float64(j.Threads) * j.Rate
		}
		for _, s := range p.Config.Strategies {
			out[results.Key(&results.Cell{Strategy: s, Params: p.Params})] = m
		}
	}
	return out
}

// stall is how a job of a cell stalled: in n of its runs, zero of them
// without a single op; low is the most ops/s of the others, asked what the
// job asks (0 for a closed loop).
type stall struct {
	n, zero, runs int
	low, asked    float64
}

// String is a note like "0 ops in 2 of 2 runs" or "at most 4.00/s of 20.0/s
// asked in 1 of 2 runs".
func (st stall) String() string {
	var parts []string
	if st.zero > 0 {
		parts = append(parts, fmt.Sprintf("0 ops in %d", st.zero))
	}
	if st.n > st.zero {
		parts = append(parts, fmt.Sprintf("at most %s/s of %s/s asked in %d", units.SI(st.low), units.SI(st.asked), st.n-st.zero))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" of %d runs", st.runs)
}

// stalledJobs returns how each job of c that stalled in some run stalled.
func stalledJobs(c *results.Cell, asked map[string]float64) map[string]stall {
	out := map[string]stall{}
	for _, key := range results.CellOps(c) {
		st := stall{runs: len(c.Runs), asked: asked[key]}
		for i := range c.Runs {
			if results.Stalled(&c.Runs[i], key, asked[key]) {
				st.n++
				if c.Runs[i].Ops[key].Count == 0 {
					st.zero++
				} else {
					st.low = max(st.low, c.Runs[i].Ops[key].OpsPerSec)
				}
			}
		}
		if st.n > 0 {
			out[key] = st
		}
	}
	return out
}

// cellName is a cell for the answer: its strategy, and its params when it has any.
func cellName(c *results.Cell) string {
	if p := results.ParamsString(c.Params); p != "" {
		return c.Strategy + " (" + p + ")"
	}
	return c.Strategy
}

// AnswerOf builds the answer of f.
func AnswerOf(f *results.File) *Answer {
	a := &Answer{}
	asked := Asked(f)
	var clean, racy, expectedFsck, stalledKeys []string
	unchecked := 0                     // runs whose check did not run or met I/O errors
	stalledBy := map[string][]string{} // by job key: "cell n/runs"
	zeroRuns := map[string]int{}       // by job key: runs without an op
	askedBy := map[string]float64{}    // by job key: ops/s asked
	findings := map[string][]string{}  // by strategy: "N stale (read M, ...)" per cell
	expected := map[string]bool{}      // by strategy: its findings are the race it models
	tornNoted := map[string][]string{} // by strategy: torn reads that are not findings, per cell
	for ci := range f.Results {
		c := &f.Results[ci]
		var stale, foreign, torn, corrupt int64
		tornCounts := c.TornIsFinding() // a torn read of the host kernel is reported, not a finding
		var tornOK int64                // torn reads reported, not findings
		var paths, tornPaths []string
		for _, key := range results.CellOps(c) {
			var n, nt int64
			for i := range c.Runs {
				x, _ := c.Runs[i].FindingsOf(key)
				n += x.Stale + x.Foreign
				nt += x.Torn
			}
			if tornCounts {
				n, nt = n+nt, 0
			}
			if n > 0 {
				paths = append(paths, key+" "+strconv.FormatInt(n, 10))
			}
			if nt > 0 {
				tornPaths = append(tornPaths, key+" "+strconv.FormatInt(nt, 10))
			}
		}
		fsckFailed := 0
		validator := 0
		for i := range c.Runs {
			v := &c.Runs[i].Verify
			stale += v.Stale
			foreign += v.Foreign
			corrupt += v.Corrupt
			if tornCounts {
				torn += v.Torn
			} else {
				tornOK += v.Torn
			}
			switch fk := &c.Runs[i].Fsck; {
			case fk.Ok:
			case fk.NotRun || len(fk.Errors) == 0 && len(fk.IOErrors) > 0:
				// Not a finding about the data: the check did not run, or
				// I/O errors kept it from looking at all of it.
				unchecked++
			default:
				fsckFailed++
			}
			validator += len(c.Runs[i].Violations)
		}
		name := cellName(c)
		if tornOK > 0 {
			n := fmt.Sprintf("%d torn", tornOK)
			if len(tornPaths) > 0 {
				n += " (" + strings.Join(tornPaths, ", ") + ")"
			}
			if p := results.ParamsString(c.Params); p != "" {
				n = p + ": " + n
			}
			tornNoted[c.Strategy] = append(tornNoted[c.Strategy], n)
		}
		if stale+foreign+torn+corrupt > 0 {
			s := fmt.Sprintf("%d stale, %d foreign", stale, foreign)
			if torn > 0 {
				s += fmt.Sprintf(", %d torn", torn)
			}
			if corrupt > 0 {
				s += fmt.Sprintf(", %d corrupt", corrupt)
			}
			if len(paths) > 0 {
				s += " (" + strings.Join(paths, ", ") + ")"
			}
			if results.ParamsString(c.Params) != "" {
				s = results.ParamsString(c.Params) + ": " + s
			}
			findings[c.Strategy] = append(findings[c.Strategy], s)
			expected[c.Strategy] = mayFind(c)
			if !mayFind(c) {
				a.Findings = append(a.Findings, name)
			}
		}
		if fsckFailed > 0 {
			what := fmt.Sprintf("%s (%d of %d runs)", name, fsckFailed, len(c.Runs))
			if mayFind(c) {
				expectedFsck = append(expectedFsck, what)
			} else {
				a.Fsck = append(a.Fsck, what)
			}
		}
		if validator > 0 {
			a.Validator = append(a.Validator, name)
		}
		var keys []string
		st := stalledJobs(c, asked[results.Key(c)])
		for k := range st {
			keys = append(keys, k)
		}
		results.SortKeys(keys, nil)
		for _, k := range keys {
			a.Stalled = append(a.Stalled, name+" "+k+": "+st[k].String())
			if _, ok := stalledBy[k]; !ok {
				stalledKeys = append(stalledKeys, k)
			}
			stalledBy[k] = append(stalledBy[k], fmt.Sprintf("%s %d/%d", name, st[k].n, st[k].runs))
			if st[k].zero > 0 {
				zeroRuns[k] += st[k].zero
			}
			askedBy[k] = st[k].asked
		}
	}
	results.SortKeys(stalledKeys, nil)
	for _, k := range stalledKeys {
		why := "completed no op"
		if askedBy[k] > 0 {
			why = fmt.Sprintf("completed under half the %s/s it asks", units.SI(askedBy[k]))
			if zeroRuns[k] > 0 {
				why += fmt.Sprintf(" (no op at all in %d)", zeroRuns[k])
			}
		}
		a.StalledByJob = append(a.StalledByJob, fmt.Sprintf("%s %s in runs of %s", k, why, strings.Join(stalledBy[k], ", ")))
	}
	var tornOnly []string
	for _, s := range strategiesOf(f) {
		switch {
		case len(findings[s]) > 0:
			racy = append(racy, s)
		case len(tornNoted[s]) > 0:
			tornOnly = append(tornOnly, s)
		default:
			clean = append(clean, s)
		}
	}
	for _, s := range racy {
		what := "stale data, as expected of it"
		if !expected[s] {
			what = "STALE DATA under a strategy that must be clean"
		}
		a.Lines = append(a.Lines, fmt.Sprintf("%s: %s: %s", s, what, strings.Join(findings[s], "; ")))
	}
	if len(clean) > 0 {
		a.Lines = append(a.Lines, strings.Join(clean, ", ")+": clean (the oracle found no stale, foreign or torn data)")
	}
	for _, s := range tornOnly {
		a.Lines = append(a.Lines, fmt.Sprintf("%s: no stale or foreign data; %s, not a finding: the kernel does not make a buffered write atomic against a read of the same page", s, strings.Join(tornNoted[s], "; ")))
	}
	switch {
	case len(a.Fsck) > 0:
		a.Lines = append(a.Lines, "fsck: FAILED in "+strings.Join(a.Fsck, ", "))
	case len(expectedFsck) == 0 && unchecked == 0:
		a.Lines = append(a.Lines, "fsck: ok after every run")
	}
	if unchecked > 0 {
		a.Lines = append(a.Lines, fmt.Sprintf("fsck: %d runs not fully checked (interrupted, or I/O errors)", unchecked))
	}
	if len(expectedFsck) > 0 {
		a.Lines = append(a.Lines, "fsck: failed in "+strings.Join(expectedFsck, ", ")+", as the race it models may do")
	}
	if len(a.Validator) > 0 {
		a.Lines = append(a.Lines, "lock validator: findings in "+strings.Join(a.Validator, ", ")+" (listed by rwbench report)")
	}
	for _, s := range a.StalledByJob {
		a.Lines = append(a.Lines, "STALLED: "+s)
	}
	a.Lines = append(a.Lines, extremes(f, asked)...)
	return a
}

// strategiesOf lists the strategies of f's cells in order of first appearance.
func strategiesOf(f *results.File) []string {
	var out []string
	for ci := range f.Results {
		if s := f.Results[ci].Strategy; !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// extremes gives, per job, the fastest and slowest cell by median ops/s; for
// a paced job (its rate fixes its ops/s) the cells with the lowest and highest
// median p99 instead. Nothing for a job in fewer than two cells.
func extremes(f *results.File, asked map[string]map[string]float64) []string {
	type val struct {
		cell string
		v    float64
	}
	by := map[string][]val{}
	paced := map[string]bool{}
	opOf := map[string]string{}
	for ci := range f.Results {
		c := &f.Results[ci]
		for _, key := range results.CellOps(c) {
			for i := range c.Runs {
				if s, ok := c.Runs[i].Ops[key]; ok {
					opOf[key] = results.OpOf(key, s)
				}
			}
			s := results.SummaryOf(c, key)
			if asked[results.Key(c)][key] > 0 {
				paced[key] = true
			}
			v := s.OpsPerSec.Median
			if paced[key] {
				if s.P99Ns.N == 0 || s.P99Ns.Median <= 0 {
					continue // no latency measured (record: false)
				}
				v = s.P99Ns.Median
			}
			by[key] = append(by[key], val{cellName(c), v})
		}
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	results.SortKeys(keys, opOf)
	var out []string
	for _, k := range keys {
		vs := by[k]
		if len(vs) < 2 {
			continue
		}
		lo, hi := vs[0], vs[0]
		for _, x := range vs[1:] {
			if x.v < lo.v {
				lo = x
			}
			if x.v > hi.v {
				hi = x
			}
		}
		if paced[k] {
			out = append(out, fmt.Sprintf("%s (paced): lowest p99 %s %s, highest %s %s", k, lo.cell, units.Ns(lo.v), hi.cell, units.Ns(hi.v)))
		} else {
			out = append(out, fmt.Sprintf("%s: fastest %s %s ops/s, slowest %s %s ops/s", k, hi.cell, units.SI(hi.v), lo.cell, units.SI(lo.v)))
		}
	}
	return out
}
