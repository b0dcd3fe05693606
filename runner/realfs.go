package runner

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/hostcache"
	"github.com/rwbench/rwbench/ktrace"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/target"
)

// realFS is the xfs, ext4 or btrfs target: the kernel target's operations
// (package hostcache, unchanged) on a filesystem made for the run by package
// scratchfs, with the page cache bounded to cache.size by a memory cgroup and
// the dirty thresholds set to the model's. Every run makes its own filesystem,
// so each starts with none of the file set's pages cached, as a model run
// does; Close removes it all, on success, error and interrupt alike (the
// runner closes every target it made).
type realFS struct {
	*hostcache.Target
	fs   *scratchfs.FS
	name string
	// traceMu guards trace and traceNotes: a window's start runs on the
	// runner's window goroutine, and a run that fails (the watchdog) closes
	// the target without waiting for that goroutine.
	traceMu sync.Mutex
	// trace is the kernel's lock-contention trace of the measurement window
	// in progress, nil outside one.
	trace *ktrace.Session
	// traceNotes are what could not be traced, and why, for the conditions.
	traceNotes []string
	// warmed says WarmPages ran: the conditions say how the cache was filled.
	warmed atomic.Bool
}

// realFSOptions are the scratch filesystem of target name for config c, with
// its image in dir.
func realFSOptions(c *config.Config, name, dir string) scratchfs.Options {
	return scratchfs.Options{FS: name, Dir: dir, ImageSize: int64(c.RealFS.ImageSize),
		CacheBytes: int64(c.Cache.Size), DirtyBackgroundBytes: int64(c.Cache.DirtyBackground),
		DirtyLimitBytes: int64(c.Cache.DirtyLimit), ReadaheadBytes: int64(c.Cache.Readahead)}
}

func newRealFS(c *config.Config, name string, ws *workspace) (target.Target, error) {
	fs, err := scratchfs.Setup(realFSOptions(c, name, ws.dir))
	if err != nil {
		return nil, err
	}
	t, err := hostcache.New(fs.Dir(), c.Files.Count, int64(c.Files.Size))
	if err != nil {
		return nil, errors.Join(err, fs.Close())
	}
	return &realFS{Target: t, fs: fs, name: name}, nil
}

func (r *realFS) Name() string { return r.name }

func (r *realFS) NewWorker() (target.Worker, error) { return r.Target.NewWorker() }

// Quiesce drops the file set's pages (hostcache), then sets the memory limit to
// cache.size over what the process has charged besides them.
func (r *realFS) Quiesce() error {
	err := r.Target.Quiesce()
	r.fs.Bound()
	return err
}

// Close ends a trace still running (a run that failed in its window), closes
// the files, then unmounts and removes the filesystem and restores the
// conditions.
func (r *realFS) Close() error {
	_, err := r.stopTrace()
	return errors.Join(err, r.Target.Close(), r.fs.Close())
}

// Conditions are what the setup set and what it could not (results.Run.Conditions),
// the kernel trace's gaps included.
func (r *realFS) Conditions() []string {
	r.traceMu.Lock()
	defer r.traceMu.Unlock()
	c := append(r.fs.Conditions(), r.traceNotes...)
	if r.warmed.Load() {
		c = append(c, "files.warm: the files cached in 4 KiB pages (order-0 folios, read with POSIX_FADV_RANDOM), as the model caches them")
	}
	return c
}

// WarmPages is hostcache's, noted in the conditions.
func (r *realFS) WarmPages(file int) error {
	r.warmed.Store(true)
	return r.Target.WarmPages(file)
}

// StartWindow starts tracing the kernel's lock contentions and dirty pauses
// of this process's threads (the workers are rwbench's own goroutines). A
// trace that cannot start is a condition of the run, not a failure of it.
func (r *realFS) StartWindow() {
	r.traceMu.Lock()
	defer r.traceMu.Unlock()
	if r.trace != nil {
		return
	}
	s, err := ktrace.Start(ktrace.Options{TGID: os.Getpid()})
	if err != nil {
		r.traceNotes = append(r.traceNotes, "could not trace the kernel's lock waits: "+err.Error())
		return
	}
	r.trace = s
}

// EndWindow stops the trace and puts the kernel's lock table and dirty pauses
// into the run, in the model's terms (package ktrace).
func (r *realFS) EndWindow(run *results.Run) {
	rep, err := r.stopTrace()
	if err != nil {
		r.traceMu.Lock()
		r.traceNotes = append(r.traceNotes, "kernel trace: "+err.Error())
		r.traceMu.Unlock()
	}
	run.Locks = rep.Locks
	run.DirtyPauses = rep.DirtyPauses
}

func (r *realFS) stopTrace() (ktrace.Report, error) {
	r.traceMu.Lock()
	defer r.traceMu.Unlock()
	if r.trace == nil {
		return ktrace.Report{}, nil
	}
	rep, err := r.trace.Stop()
	r.trace = nil
	for _, why := range rep.Unavailable {
		r.traceNotes = append(r.traceNotes, "could not trace: "+why)
	}
	return rep, err
}

// checkRealFS checks, before anything runs, that every real filesystem the
// config's cells make can be made: root, the mkfs tool, an image directory
// not on tmpfs, and an image mkfs takes (scratchfs.Check).
func checkRealFS(c *config.Config, ws *workspace, env scratchfs.Env) error {
	points, err := c.Points()
	if err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, p := range points {
		for _, s := range p.Config.Strategies {
			key := fmt.Sprint(s, p.Config.RealFS.ImageSize)
			if targetKind(s) != TargetRealFS || checked[key] {
				continue
			}
			checked[key] = true
			if err := scratchfs.Check(realFSOptions(p.Config, s, ws.dir), env, "realfs.image_size"); err != nil {
				return err
			}
		}
	}
	return nil
}
