package report

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// goal is a calibration target as the config states it (config.Goal; the report
// reads it from the results file's resolved config rather than import config).
type goal struct {
	Phase   string  `json:"phase"`
	Op      string  `json:"op"`
	Vs      string  `json:"vs"`
	VsPhase string  `json:"vs_phase"`
	Min     float64 `json:"min"`
}

// phaseParam is the params key of the cells of a sweep by sets (config.PhaseParam).
const phaseParam = "phase"

// goalsOf returns the goals of f's config; none when it has none or is unreadable.
func goalsOf(f *results.File) []goal {
	var c struct {
		Goals []goal `json:"goals"`
	}
	if len(f.Config) == 0 || json.Unmarshal(f.Config, &c) != nil {
		return nil
	}
	return c.Goals
}

// calibration counts the goals the calibration table judged.
type calibration struct {
	pass, fail, missing int
}

// calibrationTable builds the calibration table: for every model cell, each op's
// median ops/s against that of the kernel and raw cells with the same params,
// and against every reference a goal of the config names (another phase, a
// strategy), with the goal and whether it is met. nil when there is nothing to
// compare.
func calibrationTable(files []*results.File, names []string) (*table, calibration) {
	t := &table{
		header: []string{"config", "params", "op", "model", "ops/s", "vs", "ops/s", "ratio", "goal", "result"},
		right:  []bool{false, false, false, false, true, false, true, true, true, false},
	}
	var sum calibration
	for fi, f := range files {
		goals := goalsOf(f)
		cells := map[string][]*results.Cell{} // by params
		var order []string
		for ci := range f.Results {
			c := &f.Results[ci]
			k := results.ParamsString(c.Params)
			if _, ok := cells[k]; !ok {
				order = append(order, k)
			}
			cells[k] = append(cells[k], c)
		}
		// phaseKey finds the params key of a phase: the key of the cells whose
		// phase param is name ("" for a file without phases: its one params key).
		phaseKey := func(name string) (string, bool) {
			for _, k := range order {
				if cs := cells[k]; len(cs) > 0 && cs[0].Params[phaseParam] == name {
					return k, true
				}
			}
			return "", false
		}
		used := make([]bool, len(goals))
		// find returns the goal for model cell m's op against ref r, marking it used.
		find := func(m, r *results.Cell, op string) (goal, bool) {
			for i, g := range goals {
				vsPhase := g.VsPhase
				if vsPhase == "" {
					vsPhase = g.Phase
				}
				if g.Phase == m.Params[phaseParam] && vsPhase == r.Params[phaseParam] && g.Op == op && g.Vs == r.Strategy {
					used[i] = true
					return g, true
				}
			}
			return goal{}, false
		}
		add := func(m, r *results.Cell, op string) {
			mv, rv := results.SummaryOf(m, op).OpsPerSec, results.SummaryOf(r, op).OpsPerSec
			ratio, verdict, target := "?", "-", "-"
			g, ok := find(m, r, op)
			if ok && g.Min > 0 {
				target = ">= " + fmtTimes(g.Min)
			}
			if mv.N > 0 && rv.N > 0 && rv.Median > 0 {
				x := mv.Median / rv.Median
				ratio = fmtTimes(x)
				if ok && g.Min > 0 {
					if x >= g.Min {
						verdict = "pass"
						sum.pass++
					} else {
						verdict = "FAIL"
						sum.fail++
					}
				}
			} else if ok && g.Min > 0 {
				verdict = "n/a"
				sum.missing++
			}
			vs := r.Strategy
			if r.Params[phaseParam] != m.Params[phaseParam] {
				vs += " (" + paramsOrDash(r.Params) + ")"
			}
			t.add(names[fi], paramsOrDash(m.Params), op, m.Strategy, units.SI(mv.Median), vs, units.SI(rv.Median), ratio, target, verdict)
		}
		for _, k := range order {
			var models, refs []*results.Cell
			for _, c := range cells[k] {
				if c.Target == "model" || c.Target == "" {
					models = append(models, c)
				} else {
					refs = append(refs, c)
				}
			}
			for _, m := range models {
				for _, op := range results.CellOps(m) {
					// The kernel and raw cells of the same params.
					for _, r := range refs {
						if hasOp(r, op) {
							add(m, r, op)
						}
					}
					// The goals' other references: another phase, a strategy.
					for _, g := range goals {
						if g.Phase != m.Params[phaseParam] || g.Op != op {
							continue
						}
						vsPhase := g.VsPhase
						if vsPhase == "" {
							vsPhase = g.Phase
						}
						rk, ok := phaseKey(vsPhase)
						if !ok {
							continue
						}
						for _, r := range cells[rk] {
							if r.Strategy != g.Vs || r == m || (rk == k && r.Target != "model" && r.Target != "") {
								continue // the same-params kernel and raw rows are above
							}
							if (r.Target == "model" || r.Target == "") && r.Strategy != m.Strategy {
								continue // a model reference is compared with itself only
							}
							if hasOp(r, op) {
								add(m, r, op)
							}
						}
					}
				}
			}
		}
		for i, g := range goals {
			if used[i] || g.Min == 0 {
				continue
			}
			p := "-"
			if g.Phase != "" {
				p = phaseParam + "=" + g.Phase
			}
			vs := g.Vs
			if g.VsPhase != "" && g.VsPhase != g.Phase {
				vs += " (" + phaseParam + "=" + g.VsPhase + ")"
			}
			t.add(names[fi], p, g.Op, "-", "-", vs, "-", "?", ">= "+fmtTimes(g.Min), "n/a")
			sum.missing++
		}
	}
	if len(t.rows) == 0 {
		return nil, sum
	}
	return t, sum
}

func hasOp(c *results.Cell, op string) bool {
	for i := range c.Runs {
		if _, ok := c.Runs[i].Ops[op]; ok {
			return true
		}
	}
	return false
}

// fmtTimes formats a ratio as "3.08×", "0.912×".
func fmtTimes(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64) + "×"
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64) + "×"
	case x >= 1:
		return strconv.FormatFloat(x, 'f', 2, 64) + "×"
	}
	return strconv.FormatFloat(x, 'f', 3, 64) + "×"
}

// line sums the goals up: "goals: 2 of 3 met, 1 missed".
func (s calibration) line() string {
	n := s.pass + s.fail + s.missing
	if n == 0 {
		return "no goals: ratios only"
	}
	out := fmt.Sprintf("goals: %d of %d met", s.pass, n)
	if s.fail > 0 {
		out += fmt.Sprintf(", %d missed", s.fail)
	}
	if s.missing > 0 {
		out += fmt.Sprintf(", %d not measured", s.missing)
	}
	return out
}
