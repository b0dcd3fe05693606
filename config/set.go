package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// segment is one step of a key path: a key, or an index when key is "".
type segment struct {
	key   string
	index int
}

// parsePath splits a path like jobs[1].threads into its segments.
func parsePath(path string) ([]segment, error) {
	var segs []segment
	s := path
	for s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid path %q: missing ]", path)
			}
			i, err := parseIndex(s[1:end])
			if err != nil {
				return nil, fmt.Errorf("invalid path %q: bad index %q", path, s[1:end])
			}
			segs = append(segs, segment{index: i})
			s = s[end+1:]
			if s != "" && s[0] == '.' {
				s = s[1:]
				if s == "" || s[0] == '.' || s[0] == '[' {
					return nil, fmt.Errorf("invalid path %q", path)
				}
			}
			continue
		}
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		key := s[:end]
		if !plainKey(key) {
			return nil, fmt.Errorf("invalid path %q", path)
		}
		segs = append(segs, segment{key: key, index: -1})
		s = s[end:]
		if s != "" && s[0] == '.' {
			s = s[1:]
			if s == "" || s[0] == '.' || s[0] == '[' {
				return nil, fmt.Errorf("invalid path %q", path)
			}
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	if segs[0].key == "" {
		return nil, fmt.Errorf("invalid path %q: must start with a key", path)
	}
	return segs, nil
}

// resolve walks v (an addressable Config) along segs and returns the settable value
// there and its canonical path. It allocates nil pointers on the way, and appends a
// zero element for an index one past the end of a list, so call it on a copy.
func resolve(v reflect.Value, segs []segment) (reflect.Value, string, *Error) {
	path := ""
	for _, s := range segs {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if s.key != "" {
			if v.Kind() != reflect.Struct || isSize(v.Type()) || isDuration(v.Type()) {
				return reflect.Value{}, path, &Error{Key: path, Msg: fmt.Sprintf("has no key %q: it is %s", s.key, want(v.Type()))}
			}
			f, ok := fieldByKey(v.Type(), s.key)
			p := joinKey(path, s.key)
			if !ok {
				return reflect.Value{}, p, &Error{Key: p, Msg: "unknown key" + suggest(v.Type(), s.key)}
			}
			v, path = v.FieldByIndex(f.Index), p
			continue
		}
		p := index(path, s.index)
		if v.Kind() != reflect.Slice {
			return reflect.Value{}, p, &Error{Key: p, Msg: fmt.Sprintf("cannot index %s: it is %s", path, want(v.Type()))}
		}
		switch n := v.Len(); {
		case s.index == n:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		case s.index > n:
			return reflect.Value{}, p, &Error{Key: p, Msg: fmt.Sprintf("index out of range: %s has %d entries (index %d appends one)", path, n, n)}
		}
		v, path = v.Index(s.index), p
	}
	return v, path, nil
}

// Set sets the key at path to value, as `-set path=value` and sweeps do. path is a
// key path like cache.size, jobs[1].threads or backend.direct; an index one past the
// end of a list appends an element. value is parsed like YAML would parse it in that
// place (sizes, durations, bools, numbers, and flow YAML such as {op: read} for a
// mapping), except that a string key takes value literally and a list of strings
// takes a comma list (strategies=none,irwsem) or a flow list ([none, irwsem]). An
// empty value or null removes the key, so that its default applies.
//
// If Defaults has run, Set recomputes the defaults after the change, so that derived
// defaults (cache.dirty_limit from cache.size, a job's length from its op) follow it.
// On error c is unchanged; the error names the path.
func (c *Config) Set(path, value string) error {
	segs, err := parsePath(path)
	if err != nil {
		return &Error{Key: path, Msg: err.Error()}
	}
	n := c.Clone()
	defaulted := len(n.filled) > 0
	n.unfill()
	target, p, e := resolve(reflect.ValueOf(n).Elem(), segs)
	if e != nil {
		return e
	}
	given, e := assign(target, p, value)
	if e != nil {
		return e
	}
	if n.given == nil {
		n.given = map[string]int{}
	}
	forget(n.given, p)
	for k := range given {
		n.given[k] = 0
	}
	if defaulted {
		n.Defaults()
	}
	*c = *n
	return nil
}

// unfill resets every field that Defaults filled to its zero value.
func (c *Config) unfill() {
	for p := range c.filled {
		segs, err := parsePath(p)
		if err != nil {
			continue
		}
		if v, _, e := resolve(reflect.ValueOf(c).Elem(), segs); e == nil {
			v.Set(reflect.Zero(v.Type()))
		}
	}
	c.filled = nil
}

// assign parses value for target (at path) and stores it. It returns the key paths
// the value gives (none for an empty or null value).
func assign(target reflect.Value, path, value string) (map[string]int, *Error) {
	t := target.Type()
	trimmed := strings.TrimSpace(value)
	if trimmed == "" {
		target.Set(reflect.Zero(t))
		return nil, nil
	}
	given := map[string]int{path: 0}
	switch {
	case t.Kind() == reflect.String:
		target.SetString(value)
		return given, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String && !strings.HasPrefix(trimmed, "["):
		parts := strings.Split(value, ",")
		s := reflect.MakeSlice(t, len(parts), len(parts))
		for i, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				return nil, &Error{Key: index(path, i), Msg: fmt.Sprintf("empty entry in list %q", value)}
			}
			s.Index(i).SetString(part)
			given[index(path, i)] = 0
		}
		target.Set(s)
		return given, nil
	}
	body, e := parseDoc([]byte(value))
	if e != nil {
		return nil, &Error{Key: path, Msg: e.Msg}
	}
	if body == nil || body.Type() == ast.NullType {
		target.Set(reflect.Zero(t))
		return nil, nil
	}
	w := newWalker()
	if e := w.walk(body, path, t, 0); e != nil {
		e.Line = 0
		return nil, e
	}
	dst := reflect.New(t)
	if t.Kind() == reflect.Pointer {
		// goccy/go-yaml leaves a nil pointer nil, so decode into a new element.
		dst = reflect.New(t.Elem())
	}
	if e := w.decode(body, dst.Interface()); e != nil {
		e.Line = 0
		if e.Key == "" {
			e.Key = path
		}
		return nil, e
	}
	if t.Kind() == reflect.Pointer {
		target.Set(dst)
	} else {
		target.Set(dst.Elem())
	}
	for k := range w.given {
		given[k] = 0
	}
	return given, nil
}

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
			msg := err.Error()
			if e, ok := err.(*Error); ok {
				msg = e.Msg
				if e.Key != "" {
					msg = e.Key + ": " + msg
				}
			}
			return nil, c.errAt(p, "phase %s: %s", name, msg)
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

// keyLine is the line of the key at path in the file, 0 if it is not there.
func (c *Config) keyLine(path string) int { return c.given[path] }

// isGiven reports whether the key at path was given in the file or by Set.
func (c *Config) isGiven(path string) bool {
	_, ok := c.given[path]
	return ok
}

func reflectValue(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() }
