package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testBinary is the rwbench binary that the tests running it share: built
// once, on first use, into dir, which TestMain removes after the tests.
var testBinary struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildBinary returns the built binary, building it on first use; it skips
// in -short mode and without a go tool.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	b := &testBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "rwbench-test-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "rwbench")
		build := exec.Command(goTool, "build", "-o", b.path, ".")
		build.Dir = pkgDir
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("go build: %v", b.err)
	}
	return b.path
}

// TestMain removes the built binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if testBinary.dir != "" {
		os.RemoveAll(testBinary.dir)
	}
	os.Exit(code)
}

// proc is the built binary running a config in its own working and
// temporary directories.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	work, tmp      string
	out            string // the results file
	started        time.Time
}

// startBinary starts `rwbench run -q -o <work>/out.json args...`.
func startBinary(t *testing.T, args ...string) *proc {
	t.Helper()
	bin := buildBinary(t)
	p := &proc{work: t.TempDir(), tmp: t.TempDir()}
	p.out = filepath.Join(p.work, "out.json")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	p.cmd = exec.CommandContext(ctx, bin, append([]string{"run", "-q", "-o", p.out}, args...)...)
	p.cmd.Dir = p.work
	p.cmd.Env = append(os.Environ(), "TMPDIR="+p.tmp)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	return p
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the exit and returns the code and how long since since.
func (p *proc) wait(since time.Time) (int, time.Duration) {
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode(), time.Since(since)
}

// leftInTmp lists what the run left in its TMPDIR.
func (p *proc) leftInTmp() []string {
	ents, _ := os.ReadDir(p.tmp)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
