package config

import (
	"fmt"
	"slices"
	"strings"
)

// Cell returns the config of one sweep cell: a copy of c with the sweep's parameter
// set to value (see Set) and no sweep (nor goals). Call it on a config after Defaults, so that
// the cell's derived defaults are recomputed.
func (c *Config) Cell(value string) (*Config, error) {
	if c.Sweep == nil {
		return nil, &Error{File: c.file, Key: "sweep", Msg: "config has no sweep"}
	}
	if c.Sweep.Param == "" {
		return nil, &Error{File: c.file, Key: "sweep.param", Msg: "config sweeps by sets, not by a parameter: use Phase"}
	}
	n := c.Clone()
	if err := n.Set(c.Sweep.Param, value); err != nil {
		return nil, err
	}
	n.dropMatrix()
	return n, nil
}

// Phase returns the config of the sweep set (phase) called name: a copy of c
// with the set's keys set in order (see Set) and no sweep (nor goals). Call it on a config
// after Defaults, as Cell. An error names the set entry and its line.
func (c *Config) Phase(name string) (*Config, error) {
	if c.Sweep == nil {
		return nil, &Error{File: c.file, Key: "sweep", Msg: "config has no sweep"}
	}
	i := slices.IndexFunc(c.Sweep.Sets, func(s SweepSet) bool { return s.Name == name })
	if i < 0 {
		return nil, &Error{File: c.file, Key: "sweep.sets", Msg: fmt.Sprintf("no phase %q", name)}
	}
	n := c.Clone()
	for j, entry := range c.Sweep.Sets[i].Set {
		p := index(index("sweep.sets", i)+".set", j)
		key, value, err := splitAssignment(entry)
		if err == nil {
			err = n.Set(key, value)
		}
		if err != nil {
			return nil, c.errAt(p, "phase %s: %s", name, inner(err, ""))
		}
	}
	n.dropMatrix()
	return n, nil
}

// dropMatrix removes the sweep and the goals, which belong to the whole matrix,
// from the config of one of its points.
func (c *Config) dropMatrix() {
	c.Sweep, c.Goals = nil, nil
	forget(c.given, "sweep")
	forget(c.given, "goals")
}

// splitAssignment splits a set entry "key=value" and checks the key's path.
func splitAssignment(entry string) (key, value string, err error) {
	key, value, ok := strings.Cut(entry, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", "", fmt.Errorf("want key=value like cache.size=64MiB, got %q", entry)
	}
	if _, err := parsePath(key); err != nil {
		return "", "", err
	}
	if under(key, "sweep") {
		return "", "", fmt.Errorf("a phase cannot set the sweep")
	}
	if under(key, "goals") {
		return "", "", fmt.Errorf("a phase cannot set the goals")
	}
	return key, value, nil
}

// Point is one point of a config's sweep: the params of its cells and its config.
type Point struct {
	// Params maps the swept key (or "phase") to the point's value (or name);
	// empty for a config without a sweep.
	Params map[string]string
	Config *Config
}

// Points returns the points of c's sweep in order, one per value or set; for a
// config without a sweep, c itself with no params. Call it after Defaults.
func (c *Config) Points() ([]Point, error) {
	if c.Sweep == nil {
		return []Point{{Params: map[string]string{}, Config: c}}, nil
	}
	var out []Point
	if len(c.Sweep.Sets) > 0 {
		for _, s := range c.Sweep.Sets {
			n, err := c.Phase(s.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, Point{Params: map[string]string{PhaseParam: s.Name}, Config: n})
		}
		return out, nil
	}
	for _, v := range c.Sweep.Values {
		n, err := c.Cell(v)
		if err != nil {
			return nil, err
		}
		out = append(out, Point{Params: map[string]string{c.Sweep.Param: v}, Config: n})
	}
	return out, nil
}

// touches reports whether the sweep changes a key at or under path.
func (s *Sweep) touches(path string) bool {
	if s == nil {
		return false
	}
	if s.Param != "" && under(s.Param, path) {
		return true
	}
	for _, set := range s.Sets {
		for _, entry := range set.Set {
			if key, _, err := splitAssignment(entry); err == nil && under(key, path) {
				return true
			}
		}
	}
	return false
}

// validateSweep checks the sweep: its parameter or sets, and the config of each
// point.
func (c *Config) validateSweep(known Known) *Error {
	s := c.Sweep
	if len(s.Sets) > 0 {
		if s.Param != "" || len(s.Values) > 0 {
			return c.errAt(c.pick("sweep.sets", "sweep.param", "sweep.values"),
				"a sweep has param and values or sets, not both")
		}
		return c.validateSets(known)
	}
	if s.Param == "" {
		if c.isGiven("sweep.sets") {
			return c.errAt("sweep.sets", "required: at least one set like {name: hit, set: [cache.size=256MiB]}")
		}
		return c.errAt("sweep.param", "required: a key path like jobs[1].threads (or sets: a list of phases)")
	}
	if under(s.Param, "sweep") {
		return c.errAt("sweep.param", "cannot sweep the sweep")
	}
	if _, err := c.canonical(s.Param); err != nil {
		return c.errAt("sweep.param", "%v", err)
	}
	if len(s.Values) == 0 {
		return c.errAt("sweep.values", "required: at least one value")
	}
	for i, v := range s.Values {
		p := index("sweep.values", i)
		if slices.Index(s.Values, v) < i {
			return c.errAt(p, "%q is listed twice", v)
		}
		cell, err := c.Cell(v)
		if err == nil {
			if e := cell.validate(known, false); e != nil {
				err = e
			}
		}
		if err != nil {
			return c.errAt(p, "with %s=%s: %s", s.Param, v, inner(err, s.Param))
		}
	}
	return nil
}

// validateSets checks a sweep by sets: names, entries, and each phase's config.
func (c *Config) validateSets(known Known) *Error {
	sets := c.Sweep.Sets
	for i, set := range sets {
		p := index("sweep.sets", i)
		if set.Name == "" {
			return c.errAt(c.pick(p+".name", p), "required: a name for the phase, like hit")
		}
		if !validName(set.Name) || len(set.Name) > 100 {
			return c.errAt(p+".name", "must be 1 to 100 characters of a-z 0-9 . _ -, got %q", set.Name)
		}
		if k := slices.IndexFunc(sets, func(s SweepSet) bool { return s.Name == set.Name }); k < i {
			return c.errAt(p+".name", "%q is also the name of sweep.sets[%d]", set.Name, k)
		}
		var keys []string // canonical paths of the keys the phase sets
		for j, entry := range set.Set {
			ep := index(p+".set", j)
			key, _, err := splitAssignment(entry)
			if err == nil {
				key, err = c.canonical(key)
			}
			if err != nil {
				return c.errAt(ep, "%v", err)
			}
			keys = append(keys, key)
		}
		cell, err := c.Phase(set.Name)
		if err != nil {
			if e, ok := err.(*Error); ok {
				return e
			}
			return c.errAt(p, "%v", err)
		}
		if e := cell.validate(known, false); e != nil {
			// Pin the error to the entry that set the key, else to the phase.
			where := p
			for j := len(keys) - 1; j >= 0; j-- {
				if e.Key != "" && (under(e.Key, keys[j]) || under(keys[j], e.Key)) {
					where = index(p+".set", j)
					break
				}
			}
			return c.errAt(where, "phase %s: %s", set.Name, inner(e, ""))
		}
	}
	return nil
}
