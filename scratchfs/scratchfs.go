// Package scratchfs makes a real filesystem for one run and removes it
// afterwards: an image file, a loop device with direct I/O over it, mkfs, a
// mount in a private temporary directory, a memory cgroup that bounds the
// page cache to the model's cache size, and the kernel's dirty thresholds set
// to the model's. It is what the xfs, ext4 and btrfs targets run on.
//
// Everything a setup makes is first recorded in a state file of its own in
// StateDir (state.go), so that Close undoes exactly that, and a later run
// (Sweep) undoes what a killed process left, recognised by that record and
// never by a name that looks like rwbench's.
//
// One concern per file: loop.go (the loop device), mount.go (mkfs and
// mount), cgroup.go (the memory cgroup), sysctl.go (the dirty thresholds),
// state.go (the record and the sweep), check.go (what a setup needs, checked
// before a run).
package scratchfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options describe one scratch filesystem.
type Options struct {
	FS        string // xfs, ext4 or btrfs
	Dir       string // the directory the image goes in
	ImageSize int64
	// CacheBytes bounds the page cache (memory cgroup); DirtyBackgroundBytes
	// and DirtyLimitBytes are the dirty thresholds (the model's).
	CacheBytes           int64
	DirtyBackgroundBytes int64
	DirtyLimitBytes      int64
	// ReadaheadBytes is the filesystem's readahead window (the model's
	// cache.readahead); 0 leaves the device's.
	ReadaheadBytes int64
	// StateDir is where the state file goes; StateDir when "".
	StateDir string
}

// FS is a mounted scratch filesystem with the run's conditions in force.
type FS struct {
	o     Options
	st    *state
	loop  *loop
	cg    *memcg
	lock  *hostLock // held until Close: one setup on the host at a time
	conds []string  // what was set and what could not be, in order
	// bounded is set once Bound has set the memory limit.
	bounded bool
}

// Setup removes what killed runs left (Sweep), then makes the filesystem and
// sets the conditions. The memory cgroup and the dirty thresholds are
// best effort: what could not be set is a condition ("could not: ..."), and
// the run goes on. On an error everything made so far is undone.
func Setup(o Options) (_ *FS, err error) {
	if o.StateDir == "" {
		o.StateDir = StateDir
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockHost(o.StateDir)
	if err != nil {
		return nil, err
	}
	fs := &FS{o: o, lock: lock}
	swept, err := Sweep(o.StateDir)
	fs.conds = append(fs.conds, swept...)
	if err != nil {
		fs.conds = append(fs.conds, "could not: "+oneLine(err))
	}
	img, err := os.CreateTemp(o.Dir, "rwbench-"+o.FS+"-*.img")
	if err != nil {
		return nil, errors.Join(err, lock.unlock())
	}
	id := strings.TrimSuffix(filepath.Base(img.Name()), ".img")
	fs.st = &state{PID: os.Getpid(), Start: processStart(os.Getpid()), FS: o.FS, Image: img.Name(),
		path: filepath.Join(o.StateDir, fmt.Sprintf("%d-%s.json", os.Getpid(), id))}
	defer func() {
		if err != nil {
			err = errors.Join(err, fs.Close())
		}
	}()
	err = errors.Join(img.Truncate(o.ImageSize), img.Close(), fs.st.save())
	if err != nil {
		return fs, err
	}
	if err := fs.makeFS(id); err != nil {
		return fs, err
	}
	fs.setReadahead()
	fs.limitMemory(id)
	fs.setDirty()
	return fs, nil
}

// makeFS attaches the loop device, makes the filesystem and mounts it.
func (fs *FS) makeFS(id string) error {
	l, dio, err := attachLoop(fs.st.Image)
	if l != nil {
		fs.loop, fs.st.Loop = l, l.dev
	}
	if err != nil {
		return err
	}
	if err := fs.st.save(); err != nil {
		return err
	}
	// Conditions name what stays the same from run to run (not the image's
	// or the loop device's name), so that a cell's runs share them.
	fs.conds = append(fs.conds, fmt.Sprintf("%s on a loop device over a %d-byte image in %s", fs.o.FS, fs.o.ImageSize, fs.o.Dir))
	if dio {
		fs.conds = append(fs.conds, "loop device direct I/O on")
	} else {
		fs.conds = append(fs.conds, "could not: direct I/O on the loop device: the host caches the image too")
	}
	if err := mkfs(fs.o.FS, l.dev); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rwbench-mnt-"+id+"-")
	if err != nil {
		return err
	}
	fs.st.Mount = dir
	if err := fs.st.save(); err != nil {
		return err
	}
	if err := mount(fs.o.FS, l.dev, dir); err != nil {
		return err
	}
	return l.release() // the mount holds the device now; unmounting detaches it
}

// limitMemory makes the memory cgroup and moves the process into it.
func (fs *FS) limitMemory(id string) {
	parent, home, v2, err := memoryHierarchy()
	if err != nil {
		fs.could("memory cgroup", err)
		return
	}
	fs.st.Cgroup, fs.st.CgroupV2 = filepath.Join(parent, id), v2
	if err := fs.st.save(); err != nil {
		fs.could("memory cgroup", err)
		return
	}
	// Until bound measures it, leave the process generous room beside the cache.
	cg, err := newMemcg(parent, home, id, v2, fs.o.CacheBytes+256<<20)
	if err == nil {
		err = cg.enter()
	}
	if err != nil {
		fs.could("memory cgroup "+fs.st.Cgroup, err)
		return
	}
	fs.cg = cg
	v := "v1"
	if v2 {
		v = "v2"
	}
	fs.conds = append(fs.conds, "memory cgroup "+v+" under "+parent)
}

// setDirty sets the dirty thresholds to the model's: in cgroup v2 the
// cgroup's own writeback domain takes them as ratios of its memory, so the
// ratios are set; elsewhere (v1 has no writeback domain per cgroup) the
// global thresholds are set in bytes.
func (fs *FS) setDirty() {
	type one struct {
		bytes, ratio string
		v            int64
	}
	pairs := []one{{"dirty_background_bytes", "dirty_background_ratio", fs.o.DirtyBackgroundBytes},
		{"dirty_bytes", "dirty_ratio", fs.o.DirtyLimitBytes}}
	for _, p := range pairs {
		name, v := p.bytes, p.v
		if fs.cg != nil && fs.cg.v2 {
			name, v = p.ratio, (100*p.v+fs.o.CacheBytes/2)/fs.o.CacheBytes
			if v*fs.o.CacheBytes != 100*p.v {
				fs.conds = append(fs.conds, fmt.Sprintf("could not: vm.%s exactly: %d bytes of %d is not a whole percent", p.ratio, p.v, fs.o.CacheBytes))
			}
		}
		// Record the old values before writing, so that a kill between the
		// two still restores them.
		s, err := readDirty(p.bytes, p.ratio, name, v)
		if err != nil {
			fs.could("vm."+name, err)
			continue
		}
		fs.st.Dirty = append(fs.st.Dirty, s)
		if err := fs.st.save(); err != nil {
			fs.st.Dirty = fs.st.Dirty[:len(fs.st.Dirty)-1]
			fs.could("vm."+name, err)
			continue
		}
		cond, err := s.apply()
		if err != nil {
			fs.could("vm."+name, err)
			continue
		}
		fs.conds = append(fs.conds, cond)
	}
}

func (fs *FS) could(what string, err error) {
	fs.conds = append(fs.conds, "could not: "+what+": "+oneLine(err))
}

// Dir is the mount point.
func (fs *FS) Dir() string { return fs.st.Mount }

// Bound sets the memory limit to the page cache's bound over what the
// process has charged besides page cache; call it with the file set's pages
// dropped (the target's Quiesce after the prefill). Only the first call sets
// it, so that the limit in force over the measurement is the one recorded as
// a condition.
func (fs *FS) Bound() {
	if fs.cg == nil || fs.bounded {
		return
	}
	fs.bounded = true
	cond, err := fs.cg.bound(fs.o.CacheBytes)
	if err != nil {
		fs.could("memory limit", err)
		return
	}
	fs.conds = append(fs.conds, cond)
}

// Conditions are what the setup set, and what it could not.
func (fs *FS) Conditions() []string { return append([]string(nil), fs.conds...) }

// Close moves the process back to its cgroup and undoes the setup; what it
// found no longer rwbench's (a sysctl someone else changed) is added to the
// conditions.
func (fs *FS) Close() error {
	var errs []error
	if fs.cg != nil {
		errs = append(errs, fs.cg.leave())
		fs.cg = nil
	}
	if fs.loop != nil {
		errs = append(errs, fs.loop.release())
	}
	if fs.st != nil {
		notes, err := fs.st.undo()
		fs.conds = append(fs.conds, notes...)
		errs = append(errs, err)
	}
	errs = append(errs, fs.lock.unlock())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s teardown: %s", fs.o.FS, oneLine(err))
	}
	return nil
}

// oneLine joins the lines of a joined error.
func oneLine(err error) string {
	return strings.Join(strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' }), "; ")
}
