package plots

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/units"
)

// mdTables parses the Markdown tables of a report: per table (named by its
// header, joined by "|"), its rows as column name → cell.
func mdTables(md string) map[string][]map[string]string {
	out := map[string][]map[string]string{}
	var header []string
	var key string
	split := func(l string) []string {
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		return cells
	}
	for _, l := range strings.Split(md, "\n") {
		switch {
		case !strings.HasPrefix(l, "|"):
			header = nil
		case header == nil:
			header = split(l)
			key = strings.Join(header, "|")
		case strings.HasPrefix(l, "|---"):
		default:
			row := map[string]string{}
			for i, c := range split(l) {
				if i < len(header) {
					row[header[i]] = c
				}
			}
			out[key] = append(out[key], row)
		}
	}
	return out
}

// find is the row of tables whose header has col and whose cells have want.
func find(t *testing.T, tables map[string][]map[string]string, col string, want map[string]string) map[string]string {
	t.Helper()
	for _, rows := range tables {
		for _, r := range rows {
			if _, ok := r[col]; !ok {
				continue
			}
			match := true
			for k, v := range want {
				match = match && r[k] == v
			}
			if match {
				return r
			}
		}
	}
	t.Fatalf("no report row with %s and %v", col, want)
	return nil
}

// agreeFiles are results files the report and the charts are compared on: the
// fixture (3 runs a cell: the runs' range), the same without stored summaries
// (as an interrupted run leaves them), and with six runs a cell (a bounded
// 95% interval).
func agreeFiles(t *testing.T) map[string]*results.File {
	bare := noSweepFixture(t)
	for i := range bare.Results {
		bare.Results[i].Summary = results.Summary{}
	}
	six := noSweepFixture(t)
	for i := range six.Results {
		c := &six.Results[i]
		for _, r := range c.Runs[:3] {
			r.Rep += 3
			ops := map[string]results.OpStats{}
			for k, s := range r.Ops {
				s.OpsPerSec *= 1.02 + 0.01*float64(r.Rep)
				s.LatencyNs.P99 *= 0.97
				ops[k] = s
			}
			r.Ops = ops
			c.Runs = append(c.Runs, r)
		}
		results.Summarize(c, results.DefaultConfidence)
	}
	return map[string]*results.File{"fixture": loadFixture(t), "no summaries": bare, "six runs": six}
}

// TestChartsShowTheReportsNumbers: for the same results file, the throughput
// bars and their whiskers, the latency points and the lock waits the charts
// draw are the numbers the report prints.
func TestChartsShowTheReportsNumbers(t *testing.T) {
	for name, f := range agreeFiles(t) {
		t.Run(name, func(t *testing.T) {
			var md bytes.Buffer
			if err := report.Write(&md, "markdown", f); err != nil {
				t.Fatal(err)
			}
			tables := mdTables(md.String())
			checked := map[Kind]int{}
			for _, ch := range Data(f).Charts {
				params := results.ParamsString(ch.Params)
				if params == "" {
					params = "-"
				}
				switch ch.Kind {
				case KindThroughput:
					for _, s := range ch.Bars.Series {
						for gi, op := range ch.Bars.Groups {
							b := s.Bars[gi]
							if b.N == 0 {
								continue
							}
							row := find(t, tables, "ops/s", map[string]string{"strategy": s.Name, "params": params, "op": op})
							value, ci, _ := strings.Cut(row["ops/s"], " ± ")
							if got := units.SI(b.Value); got != value {
								t.Errorf("%s %s %s: bar %s, report %s", s.Name, params, op, got, value)
							}
							ci, _, _ = strings.Cut(ci, " ") // a footnote mark
							if ci == "∞" {
								if b.Whisker != WhiskerRange {
									t.Errorf("%s %s %s: report ± ∞, bar whisker %q, want the range", s.Name, params, op, b.Whisker)
								}
							} else if got := report.FormatCI(results.Estimate{Median: b.Value, Lo: b.Lo, Hi: b.Hi, N: b.N}); !b.ErrorBar || got != ci {
								t.Errorf("%s %s %s: whisker ±%s (%+v), report ±%s", s.Name, params, op, got, b, ci)
							}
							if row["runs"] != strconv.Itoa(b.N) {
								t.Errorf("%s %s %s: bar of %d runs, report %s", s.Name, params, op, b.N, row["runs"])
							}
							checked[ch.Kind]++
						}
					}
				case KindLatency:
					cols := map[string]string{"50": "p50", "99": "p99", "99.9": "p99.9"}
					for _, s := range ch.Lines.Series {
						row := find(t, tables, "p99", map[string]string{"strategy": s.Name, "params": params, "op": ch.Op})
						for _, p := range s.Points {
							for _, tick := range ch.Lines.XTicks {
								if col, ok := cols[tick.Label]; ok && tick.Value == p.X {
									if got := units.Ns(p.Y); got != row[col] {
										t.Errorf("%s %s %s: %s point %s, report %s", s.Name, params, ch.Op, col, got, row[col])
									}
									checked[ch.Kind]++
								}
							}
						}
					}
				case KindLocks:
					for _, s := range ch.Bars.Series {
						for gi, g := range ch.Bars.Groups {
							row := lockRow(t, tables, s.Name, params, g)
							if row == nil {
								if s.Bars[gi].Value != 0 {
									t.Errorf("%s %s %s: a bar of %g, no report row", s.Name, params, g, s.Bars[gi].Value)
								}
								continue
							}
							if got := units.Ns(s.Bars[gi].Value); got != row["wait/run"] {
								t.Errorf("%s %s %s: bar %s, report wait/run %s", s.Name, params, g, got, row["wait/run"])
							}
							checked[ch.Kind]++
						}
					}
				}
			}
			for _, k := range []Kind{KindThroughput, KindLatency, KindLocks} {
				if checked[k] == 0 {
					t.Errorf("no %s figure compared", k)
				}
			}
		})
	}
}

// lockRow is the lock table's row of a lock chart's group ("lock (mode) @
// site"), nil when the cell has none.
func lockRow(t *testing.T, tables map[string][]map[string]string, strategy, params, group string) map[string]string {
	for _, rows := range tables {
		for _, r := range rows {
			if _, ok := r["wait/run"]; !ok || r["strategy"] != strategy || r["params"] != params {
				continue
			}
			if group == r["lock"]+" ("+shortMode(r["mode"])+") @ "+r["site"] {
				return r
			}
		}
	}
	return nil
}
