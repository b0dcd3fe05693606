package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A key path names a key the way errors print it and -set takes it: cache.size,
// jobs[1].threads. The key of a field is the name in its json tag, which
// goccy/go-yaml reads as well, so that YAML, JSON and paths share one name.

// segment is one step of a key path: a key, or an index when key is "".
type segment struct {
	key   string
	index int
}

// parsePath splits a path like jobs[1].threads into its segments.
func parsePath(path string) ([]segment, error) {
	var segs []segment
	for s := path; s != ""; {
		var seg segment
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid path %q: missing ]", path)
			}
			i, err := parseIndex(s[1:end])
			if err != nil {
				return nil, fmt.Errorf("invalid path %q: bad index %q", path, s[1:end])
			}
			seg, s = segment{index: i}, s[end+1:]
		} else {
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if !plainKey(s[:end]) {
				return nil, fmt.Errorf("invalid path %q", path)
			}
			seg, s = segment{key: s[:end], index: -1}, s[end:]
		}
		segs = append(segs, seg)
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
			p := joinKey(path, s.key)
			if !isMapping(v.Type()) {
				return reflect.Value{}, path, &Error{Key: path, Msg: fmt.Sprintf("has no key %q: it is %s", s.key, want(v.Type()))}
			}
			f, ok := fieldByKey(v.Type(), s.key)
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

// typeAt returns the Go type of the key at path in a Config, pointers taken off;
// nil when there is no such key.
func typeAt(path string) reflect.Type {
	t := reflect.TypeFor[Config]()
	segs, err := parsePath(path)
	if path == "" {
		segs, err = nil, nil
	}
	if err != nil {
		return nil
	}
	for _, s := range segs {
		if s.key == "" {
			if t.Kind() != reflect.Slice {
				return nil
			}
			t = t.Elem()
		} else {
			f, ok := fieldByKey(t, s.key)
			if !ok {
				return nil
			}
			t = f.Type
		}
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return t
}

// isMapping reports whether t is a struct of keys (Size and Duration are scalars).
func isMapping(t reflect.Type) bool { return t != nil && t.Kind() == reflect.Struct }

// fieldByKey finds the field of struct type t whose key is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	if !isMapping(t) {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && fieldKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldKey(f reflect.StructField) string {
	k, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return k
}

// suggest returns " (did you mean x?)" for a key of struct type t close to key, or "".
func suggest(t reflect.Type, key string) string {
	best, bestD := "", 3
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			if d := editDistance(strings.ToLower(key), fieldKey(f)); d < bestD {
				best, bestD = fieldKey(f), d
			}
		}
	}
	if best == "" || bestD > len(best)/3+1 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// joinKey appends key to path; a key a path cannot spell is quoted.
func joinKey(path, key string) string {
	if !plainKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// under reports whether key is path or a key below it.
func under(key, path string) bool {
	if path == "" {
		return true
	}
	if !strings.HasPrefix(key, path) {
		return false
	}
	rest := key[len(path):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// forget removes path and every key under it from m.
func forget[V any](m map[string]V, path string) {
	for k := range m {
		if under(k, path) {
			delete(m, k)
		}
	}
}
