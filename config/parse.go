package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxNodes bounds the YAML nodes a config may expand to, aliases included, so that an
// alias bomb is an error and not an out-of-memory.
const maxNodes = 100000

// Parse parses a config from YAML. name is used in error messages (normally the
// file's path). Decoding is strict: unknown and duplicate keys, wrong types and bad
// sizes or durations are errors, each one line with the key's line and path. Parse
// does not fill defaults or validate; see Defaults and Validate.
func Parse(data []byte, name string) (*Config, error) {
	if name == "" {
		name = "config"
	}
	body, err := parseDoc(data)
	if err != nil {
		err.File = name
		return nil, err
	}
	if body == nil || body.Type() == ast.NullType {
		return nil, &Error{File: name, Msg: "empty config"}
	}
	c := &Config{file: name}
	w := newWalker()
	if err := w.walk(body, "", reflect.TypeFor[Config](), line(body)); err != nil {
		err.File = name
		return nil, err
	}
	if err := w.decode(body, c); err != nil {
		err.File = name
		return nil, err
	}
	c.given = w.given
	return c, nil
}

// parseDoc parses one YAML document and returns its body (nil when there is none).
func parseDoc(data []byte) (body ast.Node, e *Error) {
	defer func() {
		if r := recover(); r != nil {
			body, e = nil, &Error{Msg: oneLine(fmt.Sprintf("cannot parse YAML: %v", r))}
		}
	}()
	// Duplicate keys are let through here so that the walker reports them with
	// their path.
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, yamlError(err, nil, "syntax error: ")
	}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, &Error{Line: line(d.Body), Msg: "more than one YAML document"}
		}
		body = d.Body
	}
	return body, nil
}

// yamlError converts a goccy/go-yaml error, which spans lines with a source excerpt,
// to one line. tokens maps the tokens of the document to their key paths.
func yamlError(err error, tokens map[*token.Token]string, prefix string) *Error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &Error{Msg: oneLine(prefix + err.Error())}
	}
	e := &Error{Msg: prefix + ye.GetMessage()}
	tk := ye.GetToken()
	if tk == nil {
		return e
	}
	if tk.Position != nil {
		e.Line = tk.Position.Line
	}
	e.Key = tokens[tk]
	got := strconv.Quote(tk.Value)
	switch x := ye.(type) {
	case *yaml.TypeError:
		e.Msg = fmt.Sprintf("want %s, got %s", want(x.DstType), got)
	case *yaml.OverflowError:
		e.Msg = fmt.Sprintf("%s is out of range for %s", tk.Value, want(x.DstType))
	case *yaml.UnknownFieldError:
		e.Msg = "unknown key"
	case *yaml.DuplicateKeyError:
		e.Msg = "duplicate key"
	case *yaml.UnexpectedNodeTypeError:
		e.Msg = fmt.Sprintf("want a %s, got a %s", x.Expected.YAMLName(), x.Actual.YAMLName())
	}
	return e
}

// walker checks a YAML tree against the Go type it decodes into, before goccy/go-yaml
// decodes it: it knows each node's key path, so its errors name the key and its line,
// in file order. It also records which keys were given, for Defaults.
type walker struct {
	given   map[string]int          // key path -> line of the key
	tokens  map[*token.Token]string // token -> key path, to place the decoder's errors
	anchors map[string]ast.Node     // anchor name -> anchored node
	budget  int                     // nodes left before the walk gives up
}

func newWalker() *walker {
	return &walker{
		given:   map[string]int{},
		tokens:  map[*token.Token]string{},
		anchors: map[string]ast.Node{},
		budget:  maxNodes,
	}
}

// decode decodes the checked tree into v with goccy/go-yaml, strictly.
func (w *walker) decode(n ast.Node, v any) (e *Error) {
	defer func() {
		if r := recover(); r != nil {
			e = &Error{Line: line(n), Msg: oneLine(fmt.Sprintf("cannot decode YAML: %v", r))}
		}
	}()
	// The walker has already reported duplicate keys; letting them through here
	// lets a merge key (<<) and an explicit key coexist, the later one winning.
	if err := yaml.NodeToValue(n, v, yaml.Strict(), yaml.AllowDuplicateMapKey()); err != nil {
		return yamlError(err, w.tokens, "")
	}
	return nil
}

func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

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

// forget removes path and every key under it from m.
func forget[V any](m map[string]V, path string) {
	for k := range m {
		if under(k, path) {
			delete(m, k)
		}
	}
}

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

func isSize(t reflect.Type) bool     { return t == reflect.TypeFor[Size]() }
func isDuration(t reflect.Type) bool { return t == reflect.TypeFor[Duration]() }

// walk checks node n, found at path (line ln), against type t.
func (w *walker) walk(n ast.Node, path string, t reflect.Type, ln int) *Error {
	if w.budget--; w.budget < 0 {
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("config expands to more than %d YAML nodes", maxNodes)}
	}
	if n == nil {
		return nil
	}
	if tk := n.GetToken(); tk != nil {
		if _, ok := w.tokens[tk]; !ok {
			w.tokens[tk] = path
		}
	}
	switch x := n.(type) {
	case *ast.AnchorNode:
		if err := w.walk(x.Value, path, t, ln); err != nil {
			return err
		}
		if x.Name != nil {
			w.anchors[x.Name.GetToken().Value] = x.Value
		}
		return nil
	case *ast.AliasNode:
		name := ""
		if x.Value != nil && x.Value.GetToken() != nil {
			name = x.Value.GetToken().Value
		}
		target, ok := w.anchors[name]
		if !ok {
			return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("unknown alias *%s", name)}
		}
		return w.walk(target, path, t, ln)
	case *ast.TagNode:
		// A tag makes the decoder convert the value behind the walker's back.
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("YAML tags like %s are not supported", x.GetToken().Value)}
	case *ast.NullNode:
		return nil // not given: the default applies
	}
	if path != "" {
		if _, ok := w.given[path]; ok {
			forget(w.given, path) // a later key (after a merge) replaces an earlier one
		}
		w.given[path] = ln
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isSize(t):
		return w.scalar(n, path, ln, t, func(v any) error { _, err := sizeFromValue(v); return err })
	case isDuration(t):
		return w.scalar(n, path, ln, t, func(v any) error { _, err := durationFromValue(v); return err })
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := n.(ast.MapNode)
		if !ok {
			return mismatch(n, path, ln, t)
		}
		seen := map[string]int{}
		return w.mapping(m, path, t, seen)
	case reflect.Slice:
		s, ok := n.(*ast.SequenceNode)
		if !ok {
			return mismatch(n, path, ln, t)
		}
		for i, v := range s.Values {
			if err := w.walk(v, index(path, i), t.Elem(), line(v)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if _, ok := n.(ast.ScalarNode); !ok {
			return mismatch(n, path, ln, t)
		}
		return nil
	case reflect.Int, reflect.Int64:
		return w.scalar(n, path, ln, t, func(v any) error {
			switch x := v.(type) {
			case int64:
				return nil
			case uint64:
				if x > math.MaxInt64 {
					return fmt.Errorf("%d is out of range for an integer", x)
				}
				return nil
			case string:
				// The parser leaves an integer too large for 64 bits a string.
				if _, err := strconv.ParseInt(x, 0, 64); errors.Is(err, strconv.ErrRange) {
					return fmt.Errorf("%s is out of range for an integer", x)
				}
			}
			return errWant{}
		})
	case reflect.Float64:
		return w.scalar(n, path, ln, t, func(v any) error {
			switch x := v.(type) {
			case int64, uint64:
				return nil
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return errWant{}
				}
				return nil
			}
			return errWant{}
		})
	case reflect.Bool:
		return w.scalar(n, path, ln, t, func(v any) error {
			if _, ok := v.(bool); ok {
				return nil
			}
			return errWant{}
		})
	}
	return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("cannot decode into %s", t)}
}

// errWant makes scalar report "want T, got V".
type errWant struct{}

func (errWant) Error() string { return "want" }

// scalar checks a scalar node with check, which gets the node's value.
func (w *walker) scalar(n ast.Node, path string, ln int, t reflect.Type, check func(any) error) *Error {
	s, ok := n.(ast.ScalarNode)
	if !ok {
		return mismatch(n, path, ln, t)
	}
	if err := check(s.GetValue()); err != nil {
		if _, ok := err.(errWant); ok {
			return mismatch(n, path, ln, t)
		}
		return &Error{Line: ln, Key: path, Msg: err.Error()}
	}
	return nil
}

// mapping checks the key/value pairs of a mapping against struct type t.
func (w *walker) mapping(m ast.MapNode, path string, t reflect.Type, seen map[string]int) *Error {
	it := m.MapRange()
	for it.Next() {
		k, v := it.Key(), it.Value()
		kl := line(k)
		if k.IsMergeKey() {
			if err := w.merge(v, path, t, kl); err != nil {
				return err
			}
			continue
		}
		key, ok := keyString(k)
		if !ok {
			return &Error{Line: kl, Key: path, Msg: "keys must be plain strings"}
		}
		p := joinKey(path, key)
		if tk := k.GetToken(); tk != nil {
			w.tokens[tk] = p
		}
		f, ok := fieldByKey(t, key)
		if !ok {
			return &Error{Line: kl, Key: p, Msg: "unknown key" + suggest(t, key)}
		}
		if first, dup := seen[key]; dup {
			return &Error{Line: kl, Key: p, Msg: fmt.Sprintf("duplicate key (first at line %d)", first)}
		}
		seen[key] = kl
		if err := w.walk(v, p, f.Type, kl); err != nil {
			return err
		}
	}
	return nil
}

// merge walks the value of a merge key (<<: *a or <<: [*a, *b]) into struct type t.
func (w *walker) merge(v ast.Node, path string, t reflect.Type, ln int) *Error {
	if w.budget--; w.budget < 0 {
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("config expands to more than %d YAML nodes", maxNodes)}
	}
	switch x := v.(type) {
	case *ast.AliasNode:
		name := ""
		if x.Value != nil && x.Value.GetToken() != nil {
			name = x.Value.GetToken().Value
		}
		target, ok := w.anchors[name]
		if !ok {
			return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("unknown alias *%s", name)}
		}
		return w.merge(target, path, t, ln)
	case *ast.AnchorNode:
		return w.merge(x.Value, path, t, ln)
	case *ast.SequenceNode:
		for _, e := range x.Values {
			if err := w.merge(e, path, t, ln); err != nil {
				return err
			}
		}
		return nil
	case ast.MapNode:
		// Merged keys may repeat keys of the mapping: the later one wins.
		return w.mapping(x, path, t, map[string]int{})
	}
	return &Error{Line: ln, Key: path, Msg: "<< must merge a mapping"}
}

func keyString(k ast.MapKeyNode) (string, bool) {
	switch x := k.(type) {
	case *ast.StringNode:
		return x.Value, true
	case ast.ScalarNode:
		if tk := k.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// fieldByKey finds the field of struct type t whose yaml key is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlKey(f reflect.StructField) string {
	k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return k
}

// suggest returns ` (did you mean "x"?)` for a key of t close to key, or "".
func suggest(t reflect.Type, key string) string {
	best, bestD := "", 3
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		k := yamlKey(f)
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
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

func mismatch(n ast.Node, path string, ln int, t reflect.Type) *Error {
	if path == "" {
		return &Error{Line: ln, Msg: fmt.Sprintf("a config must be a mapping of keys, got %s", describe(n))}
	}
	return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("want %s, got %s", want(t), describe(n))}
}

// want describes what a value of type t looks like in YAML.
func want(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isSize(t):
		return "a size like 4096 or 64MiB"
	case isDuration(t):
		return "a duration like 5s or 100ms"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// describe names a node for a message: a mapping, a list, or the scalar as written.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case ast.MapNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return strconv.Quote(x.Value)
	case *ast.LiteralNode:
		return strconv.Quote(fmt.Sprint(x.GetValue()))
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.Type().String()
}
