package config

import (
	"fmt"
	"reflect"
	"strings"
)

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
	switch {
	case t.Kind() == reflect.String:
		target.SetString(value)
		return map[string]int{path: 0}, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String && !strings.HasPrefix(trimmed, "["):
		parts := strings.Split(value, ",")
		s := reflect.MakeSlice(t, len(parts), len(parts))
		given := map[string]int{path: 0}
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
	dst := reflect.New(t)
	if t.Kind() == reflect.Pointer {
		// goccy/go-yaml leaves a nil pointer nil, so decode into a new element.
		dst = reflect.New(t.Elem())
	}
	given, e := decode([]byte(value), path, dst.Interface())
	if e != nil {
		e.Line = 0
		if e.Key == "" {
			e.Key = path
		}
		return nil, e
	}
	switch {
	case given == nil: // null
		target.Set(reflect.Zero(t))
	case t.Kind() == reflect.Pointer:
		target.Set(dst)
	default:
		target.Set(dst.Elem())
	}
	return given, nil
}

// keyLine is the line of the key at path in the file, 0 if it is not there.
func (c *Config) keyLine(path string) int { return c.given[path] }

// isGiven reports whether the key at path was given in the file or by Set.
func (c *Config) isGiven(path string) bool {
	_, ok := c.given[path]
	return ok
}

// canonical checks that path names a key of c, and returns it as errors print it.
func (c *Config) canonical(path string) (string, error) {
	segs, err := parsePath(path)
	if err != nil {
		return "", err
	}
	_, p, e := resolve(reflect.ValueOf(c.Clone()).Elem(), segs)
	if e != nil {
		return "", e
	}
	return p, nil
}
