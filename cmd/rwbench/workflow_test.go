package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []struct {
			Name string         `yaml:"name"`
			Run  string         `yaml:"run"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// shellWords splits a command line into words, dropping the quotes around
// them; enough for the workflow's commands, which quote only whole words.
func shellWords(line string) []string {
	var out []string
	for _, w := range regexp.MustCompile(`"[^"]*"|'[^']*'|\S+`).FindAllString(line, -1) {
		out = append(out, strings.Trim(w, `"'`))
	}
	return out
}

// TestWorkflow: the shipped CI workflow names a config and a package that
// exist, and every rwbench command its steps run parses: run's flags and the
// config (as the step would resolve it), compare's flags (on real results
// files, so that only a flag error could give exit 2).
func TestWorkflow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci", "rwbench-regression.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(repoRoot, wf.Env["RWBENCH_CONFIG"])
	if st, err := os.Stat(cfgPath); err != nil || st.IsDir() {
		t.Errorf("RWBENCH_CONFIG %q: %v", wf.Env["RWBENCH_CONFIG"], err)
	}
	if st, err := os.Stat(filepath.Join(repoRoot, wf.Env["RWBENCH_PKG"], "main.go")); err != nil || st.IsDir() {
		t.Errorf("RWBENCH_PKG %q: %v", wf.Env["RWBENCH_PKG"], err)
	}
	// The shell variables of the steps, as they would be when the commands run.
	fixture := filepath.Join(repoRoot, "compare", "testdata", "old.json")
	vars := map[string]string{"config": cfgPath, "side": "head", "round": "1", "old": fixture, "new": fixture,
		"RUNNER_TEMP": "/tmp"}
	for k, v := range wf.Env {
		vars[k] = v
	}
	expand := func(w string) string {
		return os.Expand(w, func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			t.Errorf("the workflow's command uses $%s, which the test does not know", k)
			return ""
		})
	}
	var runs, compares int
	for _, job := range wf.Jobs {
		for _, step := range job.Steps {
			script := strings.ReplaceAll(step.Run, "\\\n", " ")
			for _, line := range strings.Split(script, "\n") {
				words := shellWords(line)
				// A command that runs a built rwbench starts with it (the
				// build's -o names it too, not as the command).
				if len(words) < 2 || !strings.HasPrefix(words[0], "$RUNNER_TEMP/rwbench-") {
					continue
				}
				var args []string
				for _, w := range words[1:] {
					if w == "$@" {
						args = append(args, "-format", "text")
						continue
					}
					args = append(args, expand(w))
				}
				switch args[0] {
				case "run":
					runs++
					a, err := parseRunArgs(args[1:], &bytes.Buffer{})
					if err != nil {
						t.Errorf("step %q: rwbench %s: %v", step.Name, strings.Join(args, " "), err)
						continue
					}
					if _, err := loadConfig(a.config, a.sets); err != nil {
						t.Errorf("step %q: config %s: %v", step.Name, a.config, err)
					}
				case "compare":
					compares++
					if code, _, stderr := rwbench(args...); code == exitUsage {
						t.Errorf("step %q: rwbench %s: exit %d: %s", step.Name, strings.Join(args, " "), code, stderr)
					}
				default:
					t.Errorf("step %q runs rwbench %s, which the test does not check", step.Name, args[0])
				}
			}
		}
	}
	if runs == 0 || compares == 0 {
		t.Errorf("found %d run and %d compare commands in the workflow", runs, compares)
	}
}
