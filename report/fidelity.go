package report

import (
	"encoding/json"
	"io"
	"math"
	"strings"

	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/units"
)

// Fidelity is how the model holds against the real kernel in a results file
// that has both the model's paired strategies and their real counterparts
// (strategies.Counterparts): the JSON that `report -format json` prints.
type Fidelity struct {
	// Pairs hold each model ratio (irwsem ÷ invalidate) beside the real one
	// (xfs ÷ ext4, xfs ÷ btrfs), per phase (params) and op.
	Pairs []FidelityPair `json:"pairs"`
	// Speed is each model strategy's ops/s over its counterpart's, per phase
	// and op: how much faster than the kernel the model runs.
	Speed []FidelitySpeed `json:"speed"`
}

// FidelityPair is one row of the fidelity table. Ratios are of the cells'
// medians (results.Summary); a p99 figure is absent where a side has no timed
// runs. The ops/s direction of a pair is decided by its runs, not its medians
// (Side): a pair whose runs overlap has no direction, and agrees only with
// another that has none; this keeps noise from counting as a direction when
// two strategies take the same path (one sequential reader, one cached
// reader). The p99 direction compares the ratios' sides of 1.
type FidelityPair struct {
	Config    string  `json:"config"`
	Params    string  `json:"params"`
	Op        string  `json:"op"`
	Model     string  `json:"model"` // "irwsem/invalidate"
	Real      string  `json:"real"`  // "xfs/ext4"
	ModelOps  float64 `json:"model_ops_ratio"`
	RealOps   float64 `json:"real_ops_ratio"`
	OpsFactor float64 `json:"ops_factor"` // ModelOps ÷ RealOps
	// ModelSide and RealSide are each pair's direction (Side): 1 when the
	// first strategy's runs are all faster, -1 all slower, 0 when they overlap.
	ModelSide int     `json:"model_side"`
	RealSide  int     `json:"real_side"`
	OpsAgree  bool    `json:"ops_agree"` // ModelSide == RealSide
	ModelP99  float64 `json:"model_p99_ratio,omitempty"`
	RealP99   float64 `json:"real_p99_ratio,omitempty"`
	P99Factor float64 `json:"p99_factor,omitempty"` // ModelP99 ÷ RealP99
	P99Agree  *bool   `json:"p99_agree,omitempty"`
}

// FidelitySpeed is one model cell's op against its counterpart's.
type FidelitySpeed struct {
	Config   string  `json:"config"`
	Params   string  `json:"params"`
	Op       string  `json:"op"`
	Model    string  `json:"model"`
	Real     string  `json:"real"`
	ModelOps float64 `json:"model_ops_per_sec"`
	RealOps  float64 `json:"real_ops_per_sec"`
	Ratio    float64 `json:"ratio"` // ModelOps ÷ RealOps
}

// FidelityOf builds the fidelity figures of files: for each file and params,
// each pair of the model's paired strategies (strategies.Paired, the first
// over each later one) against each pair of their counterparts, per op that
// all four cells ran.
func FidelityOf(files []*results.File) Fidelity {
	names := configNames(files)
	var out Fidelity
	paired := strategies.Paired()
	for fi, f := range files {
		byParams := map[string]map[string]*results.Cell{} // params -> strategy -> cell
		var order []string
		for ci := range f.Results {
			c := &f.Results[ci]
			k := results.ParamsString(c.Params)
			if byParams[k] == nil {
				byParams[k] = map[string]*results.Cell{}
				order = append(order, k)
			}
			byParams[k][c.Strategy] = c
		}
		for _, k := range order {
			cells := byParams[k]
			params := paramsOrDash(cells[firstKey(cells)].Params)
			for i, a := range paired {
				ma := modelCell(cells, a)
				if ma == nil {
					continue
				}
				for _, op := range results.CellOps(ma) {
					for _, ra := range strategies.Counterparts(a) {
						if rc := cells[ra]; rc != nil && hasOp(rc, op) {
							out.Speed = append(out.Speed, speedOf(names[fi], params, op, ma, rc))
						}
					}
					for _, b := range paired[i+1:] {
						mb := modelCell(cells, b)
						if mb == nil || !hasOp(mb, op) {
							continue
						}
						for _, ra := range strategies.Counterparts(a) {
							for _, rb := range strategies.Counterparts(b) {
								rca, rcb := cells[ra], cells[rb]
								if rca == nil || rcb == nil || !hasOp(rca, op) || !hasOp(rcb, op) {
									continue
								}
								if p, ok := pairOf(ma, mb, rca, rcb, op); ok {
									p.Config, p.Params, p.Op = names[fi], params, op
									out.Pairs = append(out.Pairs, p)
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// firstKey is any key of m (all cells of a params group have the same params).
func firstKey(m map[string]*results.Cell) string {
	for k := range m {
		return k
	}
	return ""
}

// modelCell is the model's cell of strategy name, nil when there is none.
func modelCell(cells map[string]*results.Cell, name string) *results.Cell {
	if c := cells[name]; c != nil && (c.Target == "model" || c.Target == "") {
		return c
	}
	return nil
}

// pairOf compares ma ÷ mb with ra ÷ rb for op; false when an ops/s is missing.
func pairOf(ma, mb, ra, rb *results.Cell, op string) (FidelityPair, bool) {
	sa, sb, ta, tb := results.SummaryOf(ma, op), results.SummaryOf(mb, op), results.SummaryOf(ra, op), results.SummaryOf(rb, op)
	p := FidelityPair{Model: ma.Strategy + "/" + mb.Strategy, Real: ra.Strategy + "/" + rb.Strategy}
	var ok bool
	if p.ModelOps, ok = ratioOf(sa.OpsPerSec, sb.OpsPerSec); !ok {
		return p, false
	}
	if p.RealOps, ok = ratioOf(ta.OpsPerSec, tb.OpsPerSec); !ok {
		return p, false
	}
	p.OpsFactor = p.ModelOps / p.RealOps
	p.ModelSide, p.RealSide = Side(ma, mb, op), Side(ra, rb, op)
	p.OpsAgree = p.ModelSide == p.RealSide
	m, mok := ratioOf(sa.P99Ns, sb.P99Ns)
	r, rok := ratioOf(ta.P99Ns, tb.P99Ns)
	if mok && rok {
		p.ModelP99, p.RealP99, p.P99Factor = m, r, m/r
		agree := agrees(m, r)
		p.P99Agree = &agree
	}
	return p, true
}

// ratioOf is a.Median ÷ b.Median; false when either has no runs or is 0.
func ratioOf(a, b results.Estimate) (float64, bool) {
	if a.N == 0 || b.N == 0 || a.Median <= 0 || b.Median <= 0 {
		return 0, false
	}
	return a.Median / b.Median, true
}

// Side is the direction of a over b in op's ops/s as their runs show it: 1
// when every run of a is faster than every run of b, -1 when every one is
// slower, 0 when the runs' ranges overlap (or either has none).
func Side(a, b *results.Cell, op string) int {
	alo, ahi, aok := runRange(a, op)
	blo, bhi, bok := runRange(b, op)
	switch {
	case !aok || !bok:
		return 0
	case alo > bhi:
		return 1
	case ahi < blo:
		return -1
	}
	return 0
}

// runRange is the lowest and highest ops/s of op over c's runs that did it.
func runRange(c *results.Cell, op string) (lo, hi float64, ok bool) {
	for _, r := range c.Runs {
		o, has := r.Ops[op]
		if !has {
			continue
		}
		if !ok {
			lo, hi, ok = o.OpsPerSec, o.OpsPerSec, true
		}
		lo, hi = min(lo, o.OpsPerSec), max(hi, o.OpsPerSec)
	}
	return lo, hi, ok
}

// agrees reports whether two ratios point the same way from 1.
func agrees(m, r float64) bool { return (m-1)*(r-1) >= 0 }

func speedOf(config, params, op string, m, r *results.Cell) FidelitySpeed {
	s := FidelitySpeed{Config: config, Params: params, Op: op, Model: m.Strategy, Real: r.Strategy,
		ModelOps: results.SummaryOf(m, op).OpsPerSec.Median, RealOps: results.SummaryOf(r, op).OpsPerSec.Median}
	if s.RealOps > 0 {
		s.Ratio = s.ModelOps / s.RealOps
	}
	return s
}

// fidelityTables renders f as the fidelity table and the speed table; nil
// for a table without rows.
func fidelityTables(f Fidelity) (pairs, speed *table) {
	if len(f.Pairs) > 0 {
		pairs = &table{
			header: []string{"config", "params", "op", "model", "ops/s ratio", "real", "ops/s ratio", "factor", "direction",
				"p99 ratio", "real p99 ratio", "factor", "direction"},
			right: []bool{false, false, false, false, true, false, true, true, false, true, true, true, false},
		}
		for _, p := range f.Pairs {
			mp, rp, fp, dp := "-", "-", "-", "-"
			if p.P99Agree != nil {
				mp, rp, fp, dp = fmtTimes(p.ModelP99), fmtTimes(p.RealP99), fmtTimes(p.P99Factor), direction(*p.P99Agree)
			}
			pairs.add(p.Config, p.Params, p.Op, ratioName(p.Model), fmtTimes(p.ModelOps), ratioName(p.Real), fmtTimes(p.RealOps),
				fmtTimes(p.OpsFactor), sides(p.ModelSide, p.RealSide), mp, rp, fp, dp)
		}
	}
	if len(f.Speed) > 0 {
		speed = &table{
			header: []string{"config", "params", "op", "model", "ops/s", "real", "ops/s", "model ÷ real"},
			right:  []bool{false, false, false, false, true, false, true, true},
		}
		for _, s := range f.Speed {
			r := "?"
			if s.RealOps > 0 && !math.IsInf(s.Ratio, 0) {
				r = fmtTimes(s.Ratio)
			}
			speed.add(s.Config, s.Params, s.Op, s.Model, units.SI(s.ModelOps), s.Real, units.SI(s.RealOps), r)
		}
	}
	return pairs, speed
}

// ratioName shows "irwsem/invalidate" as "irwsem ÷ invalidate".
func ratioName(pair string) string { return strings.Replace(pair, "/", " ÷ ", 1) }

// sides describes an ops/s direction: whether the model's and the kernel's
// runs separate the pair the same way.
func sides(model, real int) string {
	switch {
	case model == real && model == 0:
		return "agrees (runs overlap)"
	case model == real:
		return "agrees"
	case model == 0:
		return "model: runs overlap"
	case real == 0:
		return "kernel: runs overlap"
	}
	return "OPPOSITE"
}

func direction(agree bool) string {
	if agree {
		return "agrees"
	}
	return "OPPOSITE"
}

// writeFidelityJSON writes the fidelity figures of files as indented JSON.
func writeFidelityJSON(w io.Writer, files []*results.File) error {
	f := FidelityOf(files)
	if f.Pairs == nil {
		f.Pairs = []FidelityPair{}
	}
	if f.Speed == nil {
		f.Speed = []FidelitySpeed{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
