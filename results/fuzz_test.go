package results_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// FuzzReadResults checks that Read never panics on arbitrary bytes, and that what it
// accepts survives encoding and Read unchanged. (It writes with os.WriteFile, not
// Write, whose fsyncs would slow the fuzzer to a crawl; TestWriteRead covers Write.)
func FuzzReadResults(f *testing.F) {
	good, err := json.Marshal(sampleFile())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(`{"schema":1,"results":[{"strategy":"a"},{"strategy":"a"}]}`))
	f.Add([]byte(`{"schema":1,"config":{"a":[1,{"b":null}]},"results":[{"strategy":"a","runs":[{"ops":{"read":{"ops_per_sec":1e308}}}]}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "in.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := results.Read(path)
		if err != nil {
			return
		}
		a, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encoding what Read accepted: %v", err)
		}
		out := filepath.Join(dir, "out.json")
		if err := os.WriteFile(out, a, 0o644); err != nil {
			t.Fatal(err)
		}
		r2, err := results.Read(out)
		if err != nil {
			t.Fatalf("Read of what was encoded: %v", err)
		}
		b, _ := json.Marshal(r2)
		if !bytes.Equal(a, b) {
			t.Errorf("round trip changed the file:\n%s\n%s", a, b)
		}
	})
}
