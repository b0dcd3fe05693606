package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// example is one documented command line.
type example struct {
	where string   // README.md:12, run -h, ...
	args  []string // after "rwbench"
}

// parseExample splits a documented command line: "rwbench" or "go run
// ./cmd/rwbench", then its arguments up to a comment or shell operator.
func parseExample(line string) ([]string, bool) {
	line, _, _ = strings.Cut(line, "#")
	f := strings.Fields(line)
	switch {
	case len(f) >= 3 && f[0] == "go" && f[1] == "run" && f[2] == "./cmd/rwbench":
		f = f[3:]
	case len(f) >= 1 && f[0] == "rwbench":
		f = f[1:]
	default:
		return nil, false
	}
	for i, a := range f {
		if a == "||" || a == "&&" || a == "|" || a == ">" || a == ";" {
			return f[:i], true
		}
	}
	return f, true
}

// readmeExamples returns the rwbench command lines of README.md's sh blocks.
func readmeExamples(t *testing.T) []example {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in:
			if args, ok := parseExample(line); ok {
				out = append(out, example{"README.md:" + strconv.Itoa(n), args})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// helpCommands are the commands that take -h with examples.
var helpCommands = []string{"run", "list", "report", "plot", "compare"}

// helpFlag matches a flag line of PrintDefaults: "  -q\tdoc" or "  -validate"
// (its doc on the next line) for a boolean, "  -o string" for a flag that takes
// a value.
var helpFlag = regexp.MustCompile(`(?m)^  -([a-z]+)(\t| |$)`)

// helpOf returns a command's -h text, its examples and its flags (true: takes a value).
func helpOf(t *testing.T, cmd string) (text string, examples []example, flags map[string]bool) {
	t.Helper()
	code, _, text := rwbench(cmd, "-h")
	if code != exitOK {
		t.Fatalf("%s -h: exit %d", cmd, code)
	}
	flags = map[string]bool{}
	usage, ex, ok := strings.Cut(text, "\nExamples:\n")
	if !ok && cmd != "compare" { // compare's usage has its examples after a blank line
		t.Fatalf("%s -h has no examples:\n%s", cmd, text)
	}
	for _, m := range helpFlag.FindAllStringSubmatch(usage, -1) {
		flags[m[1]] = m[2] == " "
	}
	for line := range strings.SplitSeq(ex, "\n") {
		if args, ok := parseExample(line); ok {
			examples = append(examples, example{cmd + " -h", args})
		}
	}
	if len(examples) == 0 && ok {
		t.Fatalf("%s -h: no rwbench examples in:\n%s", cmd, ex)
	}
	return text, examples, flags
}

// TestDocumentedExamples checks every rwbench command line in README.md's sh
// blocks and in the -h texts: the command exists, its flags exist and have
// their values, and a run's config (configs/X.yaml, or the embedded one) loads
// and validates with its -set overrides. Nothing is run.
func TestDocumentedExamples(t *testing.T) {
	flagsOf := map[string]map[string]bool{}
	var all []example
	for _, cmd := range helpCommands {
		_, ex, flags := helpOf(t, cmd)
		flagsOf[cmd] = flags
		all = append(all, ex...)
	}
	readme := readmeExamples(t)
	if len(readme) == 0 {
		t.Fatal("no rwbench command in README.md's sh blocks")
	}
	all = append(all, readme...)
	runs := 0
	for _, ex := range all {
		name := ex.where + ": rwbench " + strings.Join(ex.args, " ")
		if len(ex.args) == 0 || !slices.Contains(helpCommands, ex.args[0]) {
			t.Errorf("%s: not a command", name)
			continue
		}
		cmd, flags := ex.args[0], flagsOf[ex.args[0]]
		var sets, positional []string
		rest := ex.args[1:]
		for len(rest) > 0 {
			a := rest[0]
			rest = rest[1:]
			if !strings.HasPrefix(a, "-") || len(positional) > 0 {
				positional = append(positional, a)
				continue
			}
			fl := strings.TrimLeft(a, "-")
			takesValue, ok := flags[fl]
			if !ok {
				t.Errorf("%s: %s has no flag -%s", name, cmd, fl)
				continue
			}
			if takesValue {
				if len(rest) == 0 {
					t.Errorf("%s: -%s without a value", name, fl)
					break
				}
				if fl == "set" {
					sets = append(sets, rest[0])
				}
				rest = rest[1:]
			}
		}
		if cmd != "run" {
			continue
		}
		runs++
		if len(positional) > 1 {
			t.Errorf("%s: more than one config", name)
			continue
		}
		path := ""
		if len(positional) == 1 {
			rel := positional[0]
			if !strings.HasPrefix(rel, "configs/") || filepath.Ext(rel) != ".yaml" {
				t.Errorf("%s: config %s is not one of configs/", name, rel)
				continue
			}
			path = filepath.Join(repoRoot, rel)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
		}
		if _, err := loadConfig(path, sets); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if runs < 3 {
		t.Errorf("only %d run examples found", runs)
	}
}

// TestREADMECommands: the README's command table shows the same synopses as
// `rwbench -h`, and its -set examples apply to the quick config.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(rwbench [^`]*)` \\|(.*)\\|$")
	rows := row.FindAllStringSubmatch(string(readme), -1)
	if len(rows) != 6 {
		t.Errorf("%d rows in the README's command table, want 6", len(rows))
	}
	for _, r := range rows {
		synopsis := strings.ReplaceAll(r[1], `\|`, "|")
		if !strings.Contains(topUsage, "\n  "+synopsis+"\n") {
			t.Errorf("README synopsis %q is not in rwbench -h:\n%s", synopsis, topUsage)
		}
		for _, m := range regexp.MustCompile("`-set ([^`]+)`").FindAllStringSubmatch(r[2], -1) {
			if _, err := loadConfig("", []string{m[1]}); err != nil {
				t.Errorf("README example -set %s: %v", m[1], err)
			}
		}
	}
	// Every command of the synopsis has a row.
	for line := range strings.SplitSeq(topUsage, "\n") {
		if strings.HasPrefix(line, "  rwbench ") && !strings.Contains(string(readme), "`"+strings.ReplaceAll(strings.TrimSpace(line), "|", `\|`)+"`") {
			t.Errorf("rwbench -h line %q has no row in the README", strings.TrimSpace(line))
		}
	}
}

// readmeConfigsMissing are configs the README's table lists that configs/ does
// not ship yet. The test fails when one of them appears, so that it is removed
// from here.
var readmeConfigsMissing = map[string]bool{}

// TestREADMEConfigs: the README's configs table and configs/ list the same
// files, and each config's "Try:" suggestions validate.
func TestREADMEConfigs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+\\.yaml)` \\|").FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = true
	}
	shipped, err := filepath.Glob(filepath.Join(repoRoot, "configs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) == 0 {
		t.Fatal("no configs/*.yaml")
	}
	for _, p := range shipped {
		name := filepath.Base(p)
		if !listed[name] {
			t.Errorf("configs/%s is not in the README's table", name)
		}
		delete(listed, name)
		if readmeConfigsMissing[name] {
			t.Errorf("configs/%s now exists: remove it from readmeConfigsMissing", name)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfig(p, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, m := range regexp.MustCompile(`(?m)^# Try:\s+(.*)$`).FindAllStringSubmatch(string(data), -1) {
			var sets []string
			f := strings.Fields(m[1])
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "-set" {
					sets = append(sets, f[i+1])
				}
			}
			if len(sets) == 0 {
				t.Errorf("%s: Try line without -set: %s", name, m[0])
			}
			if _, err := loadConfig(p, sets); err != nil {
				t.Errorf("%s: %s: %v", name, m[0], err)
			}
		}
	}
	for name := range listed {
		if readmeConfigsMissing[name] {
			t.Logf("README lists configs/%s, which is not shipped (known)", name)
			continue
		}
		t.Errorf("README lists configs/%s, which does not exist", name)
	}
}
