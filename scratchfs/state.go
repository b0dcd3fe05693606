package scratchfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StateDir is where each setup keeps its state file: rwbench's own record of
// what it made, by which the setup is undone and by which a later run finds
// what a killed run left.
const StateDir = "/run/rwbench"

// state is what one setup made, written before each thing is made, so that a
// process killed at any point leaves a record of everything it may have left.
type state struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // the process's start time (/proc/PID/stat), against PID reuse
	FS    string `json:"fs"`
	Image string `json:"image,omitempty"`
	Loop  string `json:"loop,omitempty"`
	Mount string `json:"mount,omitempty"`
	// Cgroup is the memory cgroup rwbench made; CgroupV2 its hierarchy.
	Cgroup   string         `json:"cgroup,omitempty"`
	CgroupV2 bool           `json:"cgroup_v2,omitempty"`
	Dirty    []dirtySetting `json:"dirty,omitempty"`
	// Readahead is the readahead window set on the filesystem's bdi.
	Readahead *raSetting `json:"readahead,omitempty"`

	path string // the state file
}

// save writes the state file atomically.
func (s *state) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// undo tears down what the state records, the reverse of setup: the dirty
// thresholds, the readahead window, the mount (and with it the loop device,
// set to autoclear), the loop device if still attached to the image, the
// cgroup, the mount point and the image; then the state file. Each step checks that what it removes is
// still what rwbench made (the mount point mounted, the loop device attached
// to the image, the sysctl at rwbench's value), and every step is tried
// whatever the others did. What was no longer rwbench's is in the notes.
func (s *state) undo() (notes []string, _ error) {
	var errs []error
	for i := len(s.Dirty) - 1; i >= 0; i-- {
		note, err := s.Dirty[i].restore()
		if note != "" {
			notes = append(notes, note)
		}
		errs = append(errs, err)
	}
	errs = append(errs, s.Readahead.restore(s.Loop, s.Image))
	errs = append(errs, unmount(s.Mount))
	errs = append(errs, detachLoop(s.Loop, s.Image))
	errs = append(errs, removeCgroup(s.Cgroup, s.CgroupV2))
	if s.Mount != "" && !mounted(s.Mount) {
		errs = append(errs, removeIfExists(s.Mount))
	}
	if s.Image != "" {
		errs = append(errs, removeIfExists(s.Image))
	}
	if err := errors.Join(errs...); err != nil {
		return notes, err // the state file stays, for a later run to try again
	}
	return notes, errors.Join(removeIfExists(s.path+".tmp"), removeIfExists(s.path))
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// what lists what the state records, for a message.
func (s *state) what() string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"mount", s.Mount}, {"loop", s.Loop}, {"image", s.Image}, {"cgroup", s.Cgroup}} {
		if p.v != "" {
			parts = append(parts, p.k+" "+p.v)
		}
	}
	for _, d := range s.Dirty {
		parts = append(parts, "vm."+d.Set)
	}
	if s.Readahead != nil {
		parts = append(parts, s.Readahead.Path)
	}
	return strings.Join(parts, ", ")
}

// processStart is the start time of process pid in clock ticks since boot
// (field 22 of /proc/PID/stat), 0 when there is no such process.
func processStart(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

// alive reports whether the process that wrote a state is still running.
func (s *state) alive() bool {
	if err := unix.Kill(s.PID, 0); errors.Is(err, unix.ESRCH) {
		return false
	}
	return processStart(s.PID) == s.Start
}

// Sweep removes what setups of processes that are no longer running left
// behind, found by their state files in dir (StateDir); a state whose process
// runs is not touched. It returns one line per state it undid, and notes of
// what was no longer rwbench's; a state it could not undo fully stays for the
// next sweep and its error is returned.
func Sweep(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s := &state{path: path}
		if err := json.Unmarshal(b, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		if s.alive() {
			continue
		}
		notes, err := s.undo()
		done = append(done, notes...)
		if err != nil {
			errs = append(errs, fmt.Errorf("leftovers of rwbench pid %d (%s): %w", s.PID, path, err))
			continue
		}
		done = append(done, fmt.Sprintf("removed the leftovers of rwbench pid %d: %s", s.PID, s.what()))
	}
	return done, errors.Join(errs...)
}
