package scratchfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memcg is the memory cgroup that bounds the run's page cache.
//
// Page cache is charged to the memory cgroup of the process that faults it in
// (in cgroup v1, of the mm owner), so the workers must run in the cgroup. They
// are goroutines of rwbench itself, and a cgroup takes whole processes
// (cgroup.procs), so rwbench moves its whole process into the cgroup for the
// run of a real-filesystem cell and back out after it, rather than running
// the workers in a child process: the runner, its oracle and its measurement
// stay exactly those of every other target. The process's own memory charged
// to the cgroup (the oracle, buffers, kernel objects) is measured when the
// cache is dropped (bound) and added to the limit, so that the page cache
// gets cache.size.
type memcg struct {
	v2   bool
	dir  string // the cgroup's directory, which rwbench made
	home string // the cgroup rwbench's process came from, to go back to
}

// slack is the room the limit leaves over the page cache and the memory
// charged at the bound, for the process's allocations during the run.
const slack = 16 << 20

// memoryHierarchy finds where a memory cgroup for this process can be made:
// under its own cgroup in v1 (which has no rule against processes in inner
// cgroups), under the root in v2 (whose inner cgroups with processes cannot
// enable controllers for their children). v2 is used where its hierarchy has
// the memory controller, else v1.
func memoryHierarchy() (parent, home string, v2 bool, err error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", "", false, err
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", "", false, err
	}
	var v1Path, v2Path string
	for _, l := range strings.Split(string(own), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			v2Path = f[2]
		} else if hasWord(f[1], ",", "memory") {
			v1Path = f[2]
		}
	}
	sc := bufio.NewScanner(strings.NewReader(string(mounts)))
	var v1Mount, v1Root, v2Mount, v2Root string
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		switch {
		case b[0] == "cgroup2" && v2Mount == "":
			v2Mount, v2Root = unescapeMount(a[4]), unescapeMount(a[3])
		case b[0] == "cgroup" && hasWord(b[2], ",", "memory") && v1Mount == "":
			v1Mount, v1Root = unescapeMount(a[4]), unescapeMount(a[3])
		}
	}
	if v2Mount != "" && v2Root == "/" {
		if c, err := os.ReadFile(filepath.Join(v2Mount, "cgroup.subtree_control")); err == nil && hasWord(strings.TrimSpace(string(c)), " ", "memory") {
			return v2Mount, filepath.Join(v2Mount, v2Path), true, nil
		}
	}
	if v1Mount != "" && v1Path != "" {
		rel, err := filepath.Rel(v1Root, v1Path)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", "", false, fmt.Errorf("memory cgroup %s is outside the mounted hierarchy %s", v1Path, v1Root)
		}
		dir := filepath.Join(v1Mount, rel)
		return dir, dir, false, nil
	}
	return "", "", false, errors.New("no cgroup hierarchy with the memory controller is mounted")
}

func hasWord(list, sep, w string) bool {
	for _, x := range strings.Split(list, sep) {
		if x == w {
			return true
		}
	}
	return false
}

// newMemcg makes the cgroup parent/name and limits it to limit bytes. The
// process is not in it yet (enter).
func newMemcg(parent, home, name string, v2 bool, limit int64) (*memcg, error) {
	m := &memcg{v2: v2, dir: filepath.Join(parent, name), home: home}
	if err := os.Mkdir(m.dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := m.setLimit(limit); err != nil {
		return m, err
	}
	return m, nil
}

func (m *memcg) limitFile() string {
	if m.v2 {
		return "memory.max"
	}
	return "memory.limit_in_bytes"
}

// setLimit sets the cgroup's memory limit, rounded up to a page, and returns
// the file and the value written, as a condition.
func (m *memcg) setLimit(limit int64) (string, error) {
	limit = (limit + 4095) &^ 4095
	if err := writeInt(filepath.Join(m.dir, m.limitFile()), limit); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s=%d", m.limitFile(), limit), nil
}

// enter moves the whole process into the cgroup.
func (m *memcg) enter() error {
	return writeInt(filepath.Join(m.dir, "cgroup.procs"), int64(os.Getpid()))
}

// leave moves the process back to the cgroup it came from.
func (m *memcg) leave() error {
	return writeInt(filepath.Join(m.home, "cgroup.procs"), int64(os.Getpid()))
}

// bound sets the limit to cache bytes of page cache over the memory charged
// to the cgroup now that is not page cache (the process's own memory and
// kernel objects), plus slack. It is called with the file set's pages dropped.
func (m *memcg) bound(cache int64) (string, error) {
	usageFile, fileKey := "memory.usage_in_bytes", "cache"
	if m.v2 {
		usageFile, fileKey = "memory.current", "file"
	}
	usage, err := readInt(filepath.Join(m.dir, usageFile))
	if err != nil {
		return "", err
	}
	file, err := statKey(filepath.Join(m.dir, "memory.stat"), fileKey)
	if err != nil {
		return "", err
	}
	other := max(usage-file, 0)
	set, err := m.setLimit(cache + other + slack)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (cache.size + %d charged besides page cache + %d slack)", set, other, slack), nil
}

// removeCgroup removes a cgroup rwbench made, once no process is in it. In
// v1 it first asks the kernel to reclaim what is still charged to it.
func removeCgroup(dir string, v2 bool) error {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if !v2 {
		_ = writeInt(filepath.Join(dir, "memory.force_empty"), 0) // best effort: rmdir reparents the rest
	}
	var err error
	for i := 0; i < 20; i++ {
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(50 * time.Millisecond) // a process that just left may still be counted
	}
	return err
}

// statKey reads one key of a memory.stat file.
func statKey(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok && k == key {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// writeInt writes a decimal value to a kernel file (cgroupfs, procfs).
func writeInt(path string, v int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.FormatInt(v, 10))
	return errors.Join(err, f.Close())
}

// CgroupParent is the directory under which a setup makes its memory cgroup.
func CgroupParent() (string, error) {
	parent, _, _, err := memoryHierarchy()
	return parent, err
}
