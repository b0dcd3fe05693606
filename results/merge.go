package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DiffConfig compares two resolved configs (File.Config) and returns the paths of
// the keys in which they differ, like "cache.size" or "jobs[1].threads", in a stable
// order. A key present on one side only counts as differing; an array element that
// exists on one side only is named by its index. Keys named "description", at any
// depth, are prose and are ignored; nothing else is. Numbers are equal when they
// denote the same value ("1" and "1.0"). An empty or null config equals only another
// empty or null one. The error is for configs that are not JSON.
func DiffConfig(a, b json.RawMessage) ([]string, error) {
	va, err := decodeConfig(a)
	if err != nil {
		return nil, fmt.Errorf("old config: %w", err)
	}
	vb, err := decodeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("new config: %w", err)
	}
	var out []string
	diffValue("", va, vb, &out)
	return out, nil
}

func decodeConfig(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the config")
	}
	return v, nil
}

func diffValue(path string, a, b any, out *[]string) {
	name := path
	if name == "" {
		name = "(config)"
	}
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, name)
			return
		}
		keys := make([]string, 0, len(a)+len(b))
		for k := range a {
			keys = append(keys, k)
		}
		for k := range b {
			if _, dup := a[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "description" {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			va, inA := a[k]
			vb, inB := b[k]
			if inA != inB {
				*out = append(*out, p)
				continue
			}
			diffValue(p, va, vb, out)
		}
	case []any:
		b, ok := b.([]any)
		if !ok {
			*out = append(*out, name)
			return
		}
		for i := range max(len(a), len(b)) {
			p := path + "[" + strconv.Itoa(i) + "]"
			if i >= len(a) || i >= len(b) {
				*out = append(*out, p)
				continue
			}
			diffValue(p, a[i], b[i], out)
		}
	case json.Number:
		b, ok := b.(json.Number)
		if !ok || !sameNumber(a, b) {
			*out = append(*out, name)
		}
	default: // string, bool, nil
		if a != b {
			*out = append(*out, name)
		}
	}
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	fa, errA := a.Float64()
	fb, errB := b.Float64()
	return errA == nil && errB == nil && fa == fb
}

// Merge combines files holding runs of the same config, for example from runs
// interleaved with another binary's, into one file. The files must have the same
// schema, rwbench version and config (DiffConfig); the error names what differs.
// The merged file has the first file's machine and name, the earliest start and the
// latest finish; it is Partial if any file is, and Failed joins their reasons. Cells
// are matched by target, strategy and params; a cell's runs are those of every file
// in order, renumbered to continue after the previous ones, and its summary is
// recomputed at DefaultConfidence. Cells missing from some files are kept. The inputs
// are not modified; Merge of one file returns it.
func Merge(files ...*File) (*File, error) {
	if len(files) == 0 {
		return nil, errors.New("merge: no results files")
	}
	for i, f := range files {
		if err := Validate(f); err != nil {
			return nil, fmt.Errorf("merge: file %d: %w", i+1, err)
		}
	}
	if len(files) == 1 {
		return files[0], nil
	}
	first := files[0]
	out := *first
	out.Results = nil
	var failed []string
	if first.Failed != "" {
		failed = append(failed, first.Failed)
	}
	index := make(map[string]int)
	add := func(c *Cell) {
		k := c.Target + "\x00" + Key(c)
		i, ok := index[k]
		if !ok {
			nc := *c
			nc.Runs = append([]Run(nil), c.Runs...)
			index[k] = len(out.Results)
			out.Results = append(out.Results, nc)
			return
		}
		m := &out.Results[i]
		next := 0
		for _, r := range m.Runs {
			next = max(next, r.Rep+1)
		}
		for _, r := range c.Runs {
			r.Rep = next
			next++
			m.Runs = append(m.Runs, r)
		}
	}
	for i := range first.Results {
		add(&first.Results[i])
	}
	for n, f := range files[1:] {
		keys, err := DiffConfig(first.Config, f.Config)
		if err != nil {
			return nil, fmt.Errorf("merge: file %d: %w", n+2, err)
		}
		if len(keys) > 0 {
			return nil, fmt.Errorf("merge: file %d has another config than file 1: %s differ", n+2, strings.Join(keys, ", "))
		}
		if f.RWBench != first.RWBench {
			return nil, fmt.Errorf("merge: file %d is from rwbench %q, file 1 from %q", n+2, f.RWBench, first.RWBench)
		}
		if f.Started.Before(out.Started) {
			out.Started = f.Started
		}
		if f.Finished.After(out.Finished) {
			out.Finished = f.Finished
		}
		out.Partial = out.Partial || f.Partial
		if f.Failed != "" {
			failed = append(failed, f.Failed)
		}
		for i := range f.Results {
			add(&f.Results[i])
		}
	}
	out.Failed = strings.Join(failed, "; ")
	for i := range out.Results {
		Summarize(&out.Results[i], DefaultConfidence)
	}
	return &out, nil
}
