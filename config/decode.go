package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxNodes bounds the YAML nodes a config may expand to, aliases included, so that an
// alias bomb is an error and not an out-of-memory.
const maxNodes = 100000

// Load reads and parses a config file (see Parse). A missing file is reported as
// "config FILE: no such file".
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &fileError{path: path, err: err}
	}
	return Parse(data, path)
}

// Parse parses a config from YAML. name is used in error messages (normally the
// file's path). Decoding is strict: unknown and duplicate keys, wrong types and bad
// sizes or durations are errors, each one line with the key's line and path. Parse
// does not fill defaults or validate; see Defaults and Validate.
func Parse(data []byte, name string) (*Config, error) {
	if name == "" {
		name = "config"
	}
	c := &Config{file: name}
	given, err := decode(data, "", c)
	if err == nil && given == nil {
		err = &Error{Msg: "empty config"}
	}
	if err != nil {
		err.File = name
		return nil, err
	}
	c.given = given
	return c, nil
}

// decode parses data, one YAML document, and decodes it with goccy/go-yaml
// (strictly: an unknown key is an error) into v, the value at key path root of a
// Config ("" for a whole config). It returns the key paths the document gives,
// with their lines, or nil for an empty or null document, which leaves v as it is.
func decode(data []byte, root string, v any) (given map[string]int, e *Error) {
	defer func() {
		if r := recover(); r != nil {
			given, e = nil, &Error{Msg: oneLine(fmt.Sprintf("cannot read YAML: %v", r))}
		}
	}()
	// Duplicate keys are let through here so that the walk reports them with their path.
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, (&doc{}).convert(err, "syntax error: ")
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, &Error{Line: line(d.Body), Msg: "more than one YAML document"}
		}
		body = d.Body
	}
	if body == nil || body.Type() == ast.NullType {
		return nil, nil
	}
	d := &doc{root: root, given: map[string]int{}, at: map[*token.Token]place{}, anchors: map[string]ast.Node{}, budget: maxNodes}
	if e := d.walk(body, root, line(body), false); e != nil {
		return nil, e
	}
	// The walk has reported duplicate keys; a merge key (<<) and an explicit key
	// may still name the same key, and the explicit one wins.
	if err := yaml.NodeToValue(body, v, yaml.Strict(), yaml.AllowDuplicateMapKey()); err != nil {
		return nil, d.convert(err, "")
	}
	return d.given, nil
}

// doc is what a walk over a YAML document learns: where each node is, with
// aliases followed and merge keys merged. The walk also checks what
// goccy/go-yaml lets through: unknown keys in file order, with a suggestion,
// duplicate keys, tags, and numbers it would convert.
type doc struct {
	root    string
	given   map[string]int         // key path -> line of the key, for Config.given
	at      map[*token.Token]place // where a token first occurs, to place goccy/go-yaml's errors
	anchors map[string]ast.Node    // anchor name -> anchored node, as the walk has met them
	budget  int                    // nodes left before the walk gives up
}

// place is a node, its key path and the line of its key.
type place struct {
	path string
	line int
	node ast.Node
}

// walk visits node n found at path (line ln). With merge, n is the value of a merge
// key (<<) of the mapping at path: the keys of the mappings it holds become keys
// of that mapping.
func (d *doc) walk(n ast.Node, path string, ln int, merge bool) *Error {
	if d.budget--; d.budget < 0 {
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("config expands to more than %d YAML nodes", maxNodes)}
	}
	if _, ok := d.at[n.GetToken()]; !ok {
		d.at[n.GetToken()] = place{path, ln, n}
	}
	switch x := n.(type) {
	case *ast.AnchorNode:
		err := d.walk(x.Value, path, ln, merge)
		// Known only after its node, so that an anchor cannot contain itself.
		d.anchors[x.Name.GetToken().Value] = x.Value
		return err
	case *ast.AliasNode:
		name := x.Value.GetToken().Value
		target, ok := d.anchors[name]
		if !ok {
			return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("unknown alias *%s", name)}
		}
		return d.walk(target, path, ln, merge)
	case *ast.TagNode:
		// A tag would make goccy/go-yaml convert the value, as !!str true to "true".
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("YAML tags like %s are not supported", x.GetToken().Value)}
	case *ast.NullNode:
		return nil // not given: the default applies
	}
	if !merge && path != "" {
		if _, ok := d.given[path]; ok {
			forget(d.given, path) // given again, over a merged key
		}
		d.given[path] = ln
	}
	switch x := n.(type) {
	case ast.MapNode:
		return d.mapping(x, path)
	case *ast.SequenceNode:
		for i, v := range x.Values {
			p := path
			if !merge {
				p = index(path, i)
			}
			if err := d.walk(v, p, line(v), merge); err != nil {
				return err
			}
		}
		return nil
	}
	return d.number(n, path, ln)
}

// mapping walks the keys of a mapping at path: the merged ones first, so that
// the mapping's own keys replace them.
func (d *doc) mapping(m ast.MapNode, path string) *Error {
	var own []*ast.MappingValueNode
	for it := m.MapRange(); it.Next(); {
		if it.Key().IsMergeKey() {
			if err := d.walk(it.Value(), path, line(it.Key()), true); err != nil {
				return err
			}
			continue
		}
		own = append(own, it.KeyValue())
	}
	t := typeAt(path) // nil off the schema, where goccy/go-yaml reports the mismatch
	seen := map[string]int{}
	for _, kv := range own {
		ln := line(kv.Key)
		k, ok := kv.Key.(*ast.StringNode)
		if !ok {
			// goccy/go-yaml drops a mapping with such a key without a word.
			if _, scalar := kv.Key.(ast.ScalarNode); scalar {
				return &Error{Line: ln, Key: joinKey(path, kv.Key.GetToken().Value), Msg: "unknown key"}
			}
			return &Error{Line: ln, Key: path, Msg: "keys must be plain strings"}
		}
		p := joinKey(path, k.Value)
		d.at[k.GetToken()] = place{p, ln, k}
		if _, known := fieldByKey(t, k.Value); isMapping(t) && !known {
			return &Error{Line: ln, Key: p, Msg: "unknown key" + suggest(t, k.Value)}
		}
		if first, dup := seen[k.Value]; dup {
			return &Error{Line: ln, Key: p, Msg: fmt.Sprintf("duplicate key (first at line %d)", first)}
		}
		seen[k.Value] = ln
		if err := d.walk(kv.Value, p, ln, false); err != nil {
			return err
		}
	}
	return nil
}

// number rejects what goccy/go-yaml would convert without a word: a float or a
// string for an integer key (1.5 would become 1), a string, NaN or infinity for
// a number key.
func (d *doc) number(n ast.Node, path string, ln int) *Error {
	t, ok := typeAt(path), true
	switch t {
	case reflect.TypeFor[int](), reflect.TypeFor[int64]():
		_, ok = n.(*ast.IntegerNode)
		// The parser leaves an integer too large for 64 bits a string.
		if s, isStr := n.(*ast.StringNode); isStr {
			if _, err := strconv.ParseInt(s.Value, 0, 64); errors.Is(err, strconv.ErrRange) {
				return &Error{Line: ln, Key: path, Msg: s.Value + " is out of range for an integer"}
			}
		}
	case reflect.TypeFor[float64]():
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			ok = false
		}
	}
	if !ok {
		return &Error{Line: ln, Key: path, Msg: fmt.Sprintf("want %s, got %s", want(t), describe(n))}
	}
	return nil
}

// valueError is the error of a Size's or Duration's UnmarshalYAML: it keeps the
// node, so that the message can name the key.
type valueError struct {
	node ast.Node
	msg  string
}

func (e *valueError) Error() string { return e.msg }

// convert turns a goccy/go-yaml error, which spans lines with a source excerpt,
// into one line that names the key.
func (d *doc) convert(err error, prefix string) *Error {
	var ve *valueError
	if errors.As(err, &ve) {
		e := d.placed(ve.node.GetToken())
		e.Msg = ve.msg
		return e
	}
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &Error{Msg: oneLine(prefix + err.Error())}
	}
	tk := ye.GetToken()
	e := d.placed(tk)
	got := "a value"
	if p, ok := d.at[tk]; ok {
		got = describe(p.node)
	} else if tk != nil {
		got = strconv.Quote(tk.Value)
	}
	switch x := ye.(type) {
	case *yaml.TypeError:
		e.Msg = fmt.Sprintf("want %s, got %s", want(x.DstType), got)
	case *yaml.OverflowError:
		e.Msg = fmt.Sprintf("%s is out of range for %s", tk.Value, want(x.DstType))
	case *yaml.UnexpectedNodeTypeError:
		wantNode := map[ast.NodeType]string{ast.MappingType: "a mapping", ast.SequenceType: "a list"}[x.Expected]
		e.Msg = fmt.Sprintf("want %s, got %s", wantNode, got)
		if e.Key == "" && d.root == "" {
			e.Msg = "a config must be a mapping of keys, got " + got
		}
	default:
		e.Msg = prefix + ye.GetMessage()
	}
	return e
}

// placed returns an error at the key of token tk.
func (d *doc) placed(tk *token.Token) *Error {
	if p, ok := d.at[tk]; ok {
		return &Error{Line: p.line, Key: p.path}
	}
	if tk != nil && tk.Position != nil {
		return &Error{Line: tk.Position.Line}
	}
	return &Error{}
}

func line(n ast.Node) int {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// want describes what a value of type t looks like in YAML.
func want(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Size]():
		return "a size like 4096 or 64MiB"
	case reflect.TypeFor[Duration]():
		return "a duration like 5s or 100ms"
	}
	if w, ok := map[reflect.Kind]string{
		reflect.Struct: "a mapping", reflect.Slice: "a list", reflect.String: "a string", reflect.Bool: "true or false",
		reflect.Int: "an integer", reflect.Int64: "an integer", reflect.Float64: "a number",
	}[t.Kind()]; ok {
		return w
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
