package runner

import (
	"errors"
	"fmt"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/hostfs"
	"github.com/rwbench/rwbench/scratchfs"
)

// realFS is the xfs, ext4 or btrfs target: the kernel target's operations
// (package hostfs, unchanged) on a filesystem made for the run by package
// scratchfs, with the page cache bounded to cache.size by a memory cgroup and
// the dirty thresholds set to the model's. Every run makes its own filesystem,
// so each starts with none of the file set's pages cached, as a model run
// does; Close removes it all, on success, error and interrupt alike (the
// runner closes every target it made).
type realFS struct {
	*hostfs.Target
	fs   *scratchfs.FS
	name string
}

// realFSOptions are the scratch filesystem of target name for config c, with
// its image in dir.
func realFSOptions(c *config.Config, name, dir string) scratchfs.Options {
	return scratchfs.Options{FS: name, Dir: dir, ImageSize: int64(c.RealFS.ImageSize),
		CacheBytes: int64(c.Cache.Size), DirtyBackgroundBytes: int64(c.Cache.DirtyBackground),
		DirtyLimitBytes: int64(c.Cache.DirtyLimit)}
}

func newRealFS(c *config.Config, name string, ws *workspace) (Target, error) {
	fs, err := scratchfs.Setup(realFSOptions(c, name, ws.dir))
	if err != nil {
		return nil, err
	}
	t, err := hostfs.New(fs.Dir(), c.Files.Count, int64(c.Files.Size))
	if err != nil {
		return nil, errors.Join(err, fs.Close())
	}
	return &realFS{Target: t, fs: fs, name: name}, nil
}

func (r *realFS) Name() string { return r.name }

func (r *realFS) NewWorker() (Worker, error) { return r.Target.NewWorker() }

// Quiesce drops the file set's pages (hostfs), then sets the memory limit to
// cache.size over what the process has charged besides them.
func (r *realFS) Quiesce() error {
	err := r.Target.Quiesce()
	r.fs.Bound()
	return err
}

// Close closes the files, then unmounts and removes the filesystem and
// restores the conditions.
func (r *realFS) Close() error {
	return errors.Join(r.Target.Close(), r.fs.Close())
}

// Conditions are what the setup set and what it could not (results.Run.Conditions).
func (r *realFS) Conditions() []string { return r.fs.Conditions() }

// conditioner is a target that sets conditions on the host for its run.
type conditioner interface {
	Conditions() []string
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
