package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// inCompareTestdata runs the test in compare's directory, so that the results
// files are named testdata/*.json, as the golden outputs label them.
func inCompareTestdata(t *testing.T) {
	t.Chdir(filepath.Join(repoRoot, "compare"))
}

func td(name string) string { return filepath.Join("testdata", name) }

// TestCompareGolden: compare's report, messages and exit code on compare's
// fixtures (compare/testdata, rewritten by go test ./compare -update), in
// testdata/compare/*.golden.
func TestCompareGolden(t *testing.T) {
	inCompareTestdata(t)
	tests := []struct {
		name string
		args []string
		exit int
	}{
		{"regression.text", []string{td("old.json"), td("new.json")}, exitFail},
		{"regression.markdown", []string{"-format", "markdown", td("old.json"), td("new.json")}, exitFail},
		{"regression.json", []string{"-format=json", td("old.json"), td("new.json")}, exitFail},
		{"regression.threshold25", []string{"-threshold", "25%", td("old.json"), td("new.json")}, exitInconclusive},
		{"regression.all-metrics", []string{"-metric", "ops_per_sec,bytes_per_sec,p50,p99,p999", td("old.json"), td("new.json")}, exitFail},
		{"improvement", []string{td("old.json"), td("improved.json")}, exitInconclusive},
		{"improvement.ops", []string{"-metric", "ops_per_sec", td("old.json"), td("improved.json")}, exitOK},
		{"nochange", []string{td("old.json"), td("nochange.json")}, exitInconclusive},
		{"nochange.ops", []string{"-metric", "ops_per_sec", td("old.json"), td("nochange.json")}, exitOK},
		{"toofew", []string{td("few-old.json"), td("few-new.json")}, exitInconclusive},
		{"toofew.markdown", []string{"-format", "markdown", td("few-old.json"), td("few-new.json")}, exitInconclusive},
		{"merged", []string{td("few-old.json") + "," + td("few-old-2.json"), td("few-new.json") + "," + td("few-new-2.json")}, exitFail},
		{"incompatible.schema", []string{td("old.json"), td("schema2.json")}, exitUsage},
		{"incompatible.config", []string{td("old.json"), td("other-config.json")}, exitUsage},
		{"ignored.config", []string{"-metric", "ops_per_sec", "-ignore", "cache,jobs[1].threads", td("old.json"), td("other-config.json")}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, got, stderr := rwbench(append([]string{"compare"}, tt.args...)...)
			if exit != tt.exit {
				t.Errorf("exit %d, want %d; stderr:\n%s", exit, tt.exit, stderr)
			}
			if stderr != "" {
				got += "-- stderr --\n" + stderr
			}
			got += "-- exit " + strconv.Itoa(exit) + " --\n"
			golden(t, filepath.Join("compare", tt.name+".golden"), got)
		})
	}
}

func TestCompareUsage(t *testing.T) {
	inCompareTestdata(t)
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no files", nil, "want OLD and NEW results files, got 0 arguments"},
		{"three files", []string{td("old.json"), td("new.json"), td("new.json")}, "got 3 arguments"},
		{"bare threshold", []string{"-threshold", "5", td("old.json"), td("new.json")}, `threshold "5": write 5% or a fraction below 1`},
		{"bad alpha", []string{"-alpha", "1.5", td("old.json"), td("new.json")}, "-alpha 1.5 is not between 0 and 1"},
		{"bad metric", []string{"-metric", "ops_per_sec,p42", td("old.json"), td("new.json")}, `unknown metric "p42"`},
		{"bad format", []string{"-format", "html", td("old.json"), td("new.json")}, `unknown -format "html"`},
		{"bad flag", []string{"-frobnicate", td("old.json"), td("new.json")}, "flag provided but not defined: -frobnicate"},
		{"bad flag after a file", []string{td("old.json"), "-frobnicate", td("new.json")}, "flag provided but not defined: -frobnicate"},
		{"missing file", []string{td("old.json"), td("missing.json")}, "missing.json: no such file or directory"},
		{"merge of other configs", []string{td("old.json") + "," + td("other-config.json"), td("new.json")}, "has another config than file 1: cache.size, jobs[1].threads differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, stdout, stderr := rwbench(append([]string{"compare"}, tt.args...)...)
			if exit != exitUsage {
				t.Errorf("exit %d, want %d", exit, exitUsage)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr\n%s\nlacks %q", stderr, tt.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout has %q", stdout)
			}
		})
	}
}

func TestCompareFlagsAfterFiles(t *testing.T) {
	inCompareTestdata(t)
	e1, a, _ := rwbench("compare", "-format", "json", "-threshold", "25%", td("old.json"), td("new.json"))
	e2, b, stderr := rwbench("compare", td("old.json"), "-format", "json", td("new.json"), "-threshold", "25%")
	if e1 != e2 || a != b {
		t.Errorf("flags after the files differ from flags before: exit %d vs %d\n%s", e1, e2, stderr)
	}
}
