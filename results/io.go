package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SchemaError reports a results file whose schema number this rwbench does not read.
type SchemaError struct {
	// Path is the file's path; empty when the File did not come from Read.
	Path string
	// Got is the file's schema number (0: the file has none), Want the one this rwbench reads.
	Got, Want int
}

func (e *SchemaError) Error() string {
	prefix := ""
	if e.Path != "" {
		prefix = e.Path + ": "
	}
	if e.Got == 0 {
		return fmt.Sprintf("%sno schema number: not an rwbench results file (this rwbench reads schema %d)", prefix, e.Want)
	}
	return fmt.Sprintf("%sschema %d, this rwbench reads schema %d", prefix, e.Got, e.Want)
}

// Read reads and validates the results file at path. Errors name the path; a file
// of another schema gives a *SchemaError.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Validate(f); err != nil {
		var se *SchemaError
		if errors.As(err, &se) {
			se.Path = path
			return nil, se
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// decode parses a results file. It looks at the schema number first so that a file
// of another schema is reported as such rather than as whatever type error its new
// layout causes.
func decode(data []byte) (*File, error) {
	var head struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not an rwbench results file: %w", err)
	}
	var schema int
	if len(head.Schema) > 0 && !bytes.Equal(head.Schema, []byte("null")) {
		if err := json.Unmarshal(head.Schema, &schema); err != nil {
			return nil, fmt.Errorf("not an rwbench results file: schema is %s, not a number", head.Schema)
		}
	}
	if schema != Schema {
		return nil, &SchemaError{Got: schema, Want: Schema}
	}
	f := new(File)
	if err := json.Unmarshal(data, f); err != nil {
		return nil, err
	}
	f.Config = NormalizeConfig(f.Config)
	return f, nil
}

// Validate checks what readers rely on: the schema number, that each cell has a
// strategy and is the only one with its strategy, target and params, and that
// no count, rate or duration is impossible (negative or not a number).
func Validate(f *File) error {
	if f == nil {
		return errors.New("no results file")
	}
	if f.Schema != Schema {
		return &SchemaError{Got: f.Schema, Want: Schema}
	}
	seen := make(map[string]int, len(f.Results))
	for i := range f.Results {
		c := &f.Results[i]
		if c.Strategy == "" {
			return fmt.Errorf("results[%d]: no strategy", i)
		}
		k := c.Target + "\x00" + Key(c)
		if j, dup := seen[k]; dup {
			return fmt.Errorf("results[%d]: same cell as results[%d] (%s)", i, j, Key(c))
		}
		seen[k] = i
	}
	return validateValues(f)
}

// Write writes f to path as indented JSON, atomically: it writes a temporary file in
// the same directory, syncs it and renames it over path, creating the directory
// first. An existing path must be a regular file (through symlinks, which are
// followed: the file they name is replaced), whose permission bits the new file
// keeps; anything else (a device, a directory) is refused, never replaced. A zero f.Schema is written as Schema; f itself is not changed. Values JSON
// cannot hold (NaN, ±Inf) make Write fail before anything is written.
func Write(path string, f *File) error {
	if f == nil {
		return errors.New("write results: no results file")
	}
	out := *f
	if out.Schema == 0 {
		out.Schema = Schema
	}
	out.Config = NormalizeConfig(out.Config)
	// Lists are lists: a cell that never ran has "runs": [], not null.
	out.Results = append(make([]Cell, 0, len(f.Results)), f.Results...)
	longest := 0
	for i := range out.Results {
		if out.Results[i].Runs == nil {
			out.Results[i].Runs = []Run{}
		}
		for _, r := range out.Results[i].Runs {
			for _, l := range r.Locks {
				longest = max(longest, len(l.WaitHist), len(l.HoldHist))
			}
		}
	}
	out.LockHistBucketsNs = HistLowerBounds(longest)
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	data = append(data, '\n')

	mode := os.FileMode(0o644)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		st, err := os.Stat(real)
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file (%v); not replacing it", path, st.Mode().Type())
		}
		path, mode = real, st.Mode().Perm()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	for _, step := range []func() error{
		func() error { _, err := tmp.Write(data); return err },
		func() error { return tmp.Chmod(mode) },
		tmp.Sync,
		tmp.Close,
		func() error { return os.Rename(tmp.Name(), path) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	done = true
	// Make the rename itself durable; not every filesystem lets a directory be
	// synced, and the file is already complete, so a failure here is not an error.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
