package ktrace

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rwbench/rwbench/blockdev"
)

// instancePrefix names rwbench's tracefs instances, followed by the pid of the
// process that made it: a later Start removes those whose process is gone (a
// killed run's), and nothing else.
const instancePrefix = "rwbench-"

// findTracefs returns the mount point of tracefs from /proc/mounts (tracefs
// itself, or the tracing directory of debugfs), "" when neither is mounted.
func findTracefs() (string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var debugfs string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 {
			continue
		}
		dir := blockdev.UnescapeOctal(fs[1])
		switch fs[2] {
		case "tracefs":
			if isTracefs(dir) {
				return dir, nil
			}
		case "debugfs":
			if d := filepath.Join(dir, "tracing"); debugfs == "" && isTracefs(d) {
				debugfs = d
			}
		}
	}
	return debugfs, sc.Err()
}

// isTracefs reports whether dir looks like a tracefs root that has instances.
func isTracefs(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "instances"))
	return err == nil && st.IsDir()
}

// instance is a private tracefs instance: its own ring buffer, events,
// options and tracing_on, so that the host's global tracing is not disturbed.
type instance struct {
	dir string
}

// write writes v to the instance's file name (a path under the instance).
func (in *instance) write(name, v string) error {
	p := filepath.Join(in.dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %q to %s: %w", v, p, err)
	}
	return nil
}

// remove turns the instance's tracing off, removes its trigger and event pid
// filter (a trigger holds a reference that can keep the directory busy) and
// removes it.
func (in *instance) remove() error {
	_ = in.write("tracing_on", "0")
	_ = in.write("events/enable", "0")
	_ = in.write("events/lock/contention_begin/trigger", "!stacktrace")
	_ = in.write("set_event_pid", "")
	if err := os.Remove(in.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing tracefs instance %s: %w", in.dir, err)
	}
	return nil
}

// removeStale removes the instances that rwbench processes no longer running
// left under root (a run killed while tracing), and only those.
func removeStale(root string) error {
	ents, err := os.ReadDir(filepath.Join(root, "instances"))
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), instancePrefix))
		if !strings.HasPrefix(e.Name(), instancePrefix) || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // its process still runs
		}
		in := &instance{dir: filepath.Join(root, "instances", e.Name())}
		errs = append(errs, in.remove())
	}
	return errors.Join(errs...)
}

// threadsOf lists the thread ids of process tgid.
func threadsOf(tgid int) ([]string, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", tgid))
	if err != nil {
		return nil, err
	}
	tids := make([]string, 0, len(ents))
	for _, e := range ents {
		tids = append(tids, e.Name())
	}
	return tids, nil
}

// overruns sums the events each CPU's ring buffer of the instance lost
// because the reader fell behind (per_cpu/cpuN/stats, "overrun: N").
func (in *instance) overruns() int64 {
	files, _ := filepath.Glob(filepath.Join(in.dir, "per_cpu", "cpu*", "stats"))
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(l, "overrun:"); ok {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			}
		}
	}
	return n
}
