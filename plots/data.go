package plots

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rwbench/rwbench/machine"
	"github.com/rwbench/rwbench/results"
)

// Data computes the charts of the given results files (nil files are skipped). It
// never fails: what a file lacks is left out.
func Data(files ...*results.File) *Dataset {
	b := &builder{used: map[string]bool{}}
	for _, f := range files {
		if f != nil {
			b.file(f)
		}
	}
	return &Dataset{Charts: b.charts}
}

// builder accumulates the charts and the file names in use.
type builder struct {
	charts []Chart
	used   map[string]bool
}

// cell is a strategy at one sweep point: res is the results cell, or, for a
// cell repeated in a file, a copy with every run of its repeats and no stored
// Summary (results.SummaryOf then summarizes the pooled runs).
type cell struct {
	label  string
	style  int
	params map[string]string
	res    *results.Cell
}

// panel is one sweep point: the cells sharing one set of Params, in strategy order.
type panel struct {
	params map[string]string
	label  string // "threads=8, size=4k"; empty without a sweep
	slug   string // "threads-8_size-4k"; empty without a sweep
	cells  []*cell
	ops    []string
}

// fileData is one results file made ready for charting.
type fileData struct {
	config  string
	machine string
	stem    string
	panels  []*panel
	cells   []*cell // panel by panel, in strategy order
	keys    []string
}

func (b *builder) unique(name string) string {
	u := name
	for i := 2; b.used[u]; i++ {
		u = fmt.Sprintf("%s-%d", name, i)
	}
	b.used[u] = true
	return u
}

func (b *builder) add(fd *fileData, c Chart, parts ...string) {
	name := fd.stem
	for _, p := range parts {
		if p != "" {
			name += "-" + sanitize(p)
		}
	}
	c.File = b.unique(name)
	c.Config = fd.config
	c.Machine = fd.machine
	b.charts = append(b.charts, c)
}

func (b *builder) file(f *results.File) {
	fd := newFileData(f)
	stem := sanitize(fd.config)
	for i := 2; b.usedStem(stem); i++ {
		stem = fmt.Sprintf("%s-%d", sanitize(fd.config), i)
	}
	fd.stem = stem
	b.used["stem:"+stem] = true

	for _, p := range fd.panels {
		b.throughput(fd, p)
	}
	b.sweeps(fd)
	for _, p := range fd.panels {
		for _, op := range p.ops {
			b.latency(fd, p, op)
		}
	}
	for _, p := range fd.panels {
		for _, op := range p.ops {
			b.timeline(fd, p, op)
		}
	}
	for _, p := range fd.panels {
		b.memory(fd, p)
	}
	for _, p := range fd.panels {
		b.locks(fd, p)
	}
	for _, p := range fd.panels {
		b.findings(fd, p)
	}
}

func (b *builder) usedStem(stem string) bool { return b.used["stem:"+stem] }

func newFileData(f *results.File) *fileData {
	fd := &fileData{config: f.Name, machine: machineHeader(f)}
	if fd.config == "" {
		fd.config = "rwbench"
	}

	// Strategies: the known ones in their canonical order, then the others as they appear.
	var labels []string
	for _, c := range f.Results {
		if l := cellLabel(c); !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	unknown := 0
	style := map[string]int{}
	for _, l := range labels {
		if r := strategyRank(l); r >= 0 {
			style[l] = r
		} else {
			style[l] = knownStrategies + unknown
			unknown++
		}
	}
	slices.SortStableFunc(labels, func(a, b string) int { return cmp.Compare(style[a], style[b]) })

	byKey := map[string]*panel{}
	keys := map[string]bool{}
	for _, c := range f.Results {
		k := paramsLabel(c.Params)
		p := byKey[k]
		if p == nil {
			p = &panel{params: c.Params, label: k, slug: paramsSlug(c.Params)}
			byKey[k] = p
			fd.panels = append(fd.panels, p)
		}
		for key := range c.Params {
			keys[key] = true
		}
		l := cellLabel(c)
		i := slices.IndexFunc(p.cells, func(x *cell) bool { return x.label == l })
		if i >= 0 {
			// A repeated cell: pool the runs; no single Summary describes them.
			res := p.cells[i].res
			res.Runs = append(res.Runs, c.Runs...)
			res.Summary = results.Summary{}
			continue
		}
		res := c // its own copy: a repeat appends to its runs
		res.Runs = slices.Clone(c.Runs)
		p.cells = append(p.cells, &cell{label: l, style: style[l], params: c.Params, res: &res})
	}
	fd.keys = slices.Sorted(maps.Keys(keys))
	for _, p := range fd.panels {
		slices.SortStableFunc(p.cells, func(a, b *cell) int { return cmp.Compare(a.style, b.style) })
		fd.cells = append(fd.cells, p.cells...)
		seen := map[string]bool{}
		opOf := map[string]string{}
		for _, c := range p.cells {
			for op := range c.res.Summary.Ops {
				seen[op] = true
			}
			for _, r := range c.res.Runs {
				for key, st := range r.Ops {
					seen[key] = true
					opOf[key] = results.OpOf(key, st)
				}
			}
		}
		p.ops = slices.Collect(maps.Keys(seen))
		results.SortKeys(p.ops, opOf)
	}
	return fd
}

// machineHeader is the second title line of every chart of f.
func machineHeader(f *results.File) string {
	m := f.Machine
	var parts []string
	if s := machine.Short(m); s != "" {
		parts = append(parts, s)
	}
	if f.Partial {
		parts = append(parts, "partial run")
	}
	if f.Failed != "" {
		reason := f.Failed
		if r := []rune(reason); len(r) > 60 {
			reason = string(r[:59]) + "…"
		}
		parts = append(parts, "FAILED: "+reason)
	}
	if len(parts) == 0 {
		return "unknown machine"
	}
	return strings.Join(parts, " · ")
}
