package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/rwbench/rwbench/sigbus"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/hostcache"
	"github.com/rwbench/rwbench/rawio"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/scratchfs"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/target"
	"github.com/rwbench/rwbench/vfs"
)

// Targets that are not strategies of the model.
const (
	TargetKernel = "kernel" // the host kernel's page cache on real files
	TargetRaw    = "raw"    // O_DIRECT straight to files: the device floor
	// TargetRealFS is the kind of the xfs, ext4 and btrfs targets: the kernel
	// target's operations on a filesystem rwbench makes for each run
	// (realfs.go).
	TargetRealFS = "realfs"
)

// Ops are the operations a job can run.
func Ops() []string {
	return []string{"read", "write", "fault", "mkwrite", "punch", "truncate", "zero", "advise"}
}

// Backends are the backing store kinds.
func Backends() []string {
	return []string{blockdev.KindFile, blockdev.KindBlockDev, blockdev.KindMemory}
}

// Names lists every strategy and target a config may name.
func Names() []string {
	return append(append(strategies.Names(), TargetKernel, TargetRaw), scratchfs.Names()...)
}

// Known is what config validation checks names against.
func Known() config.Known {
	return config.Known{Strategies: Names(), Ops: Ops(), Backends: Backends()}
}

// targetKind is "model", "kernel", "raw" or "realfs".
func targetKind(name string) string {
	switch {
	case name == TargetKernel, name == TargetRaw:
		return name
	case slices.Contains(scratchfs.Names(), name):
		return TargetRealFS
	}
	return "model"
}

// modelTarget is the model with one strategy over a freshly formatted store.
type modelTarget struct {
	*vfs.FS
	store blockdev.Store
	// pool0 and pauses0 are the buffer pool's and the dirty pauses' figures
	// when the measurement window opened (StartWindow), for EndWindow.
	pool0   vfs.PoolStats
	pauses0 vfs.DirtyPauses
}

func (m *modelTarget) NewWorker() (target.Worker, error) { return m.FS.NewTask(), nil }

// Conditions says when the model's I/O on a file or device could not use
// io_uring: a goroutine per I/O takes the scheduler's time, and the model then
// writes back a fraction of what the device takes (docs/design.md, section 8).
func (m *modelTarget) Conditions() []string {
	if err := m.FS.IOFallback(); err != nil {
		return []string{fmt.Sprintf("the model's I/O ran a goroutine per I/O, not io_uring (%v)", err)}
	}
	return nil
}

func (m *modelTarget) Close() error {
	err := m.FS.Close()
	return errors.Join(err, m.store.Close())
}

// StartWindow notes the buffer pool's and the dirty pauses' figures as the
// measurement window opens.
func (m *modelTarget) StartWindow() {
	m.pool0, m.pauses0 = m.FS.PoolStats(), m.FS.DirtyPauses()
}

// EndWindow puts into run the buffer pool's throttling and the writers' dirty
// pauses over the window.
func (m *modelTarget) EndWindow(run *results.Run) {
	end := m.FS.PoolStats()
	run.BufferPool = &results.BufferPool{Slabs: end.Slabs,
		Throttled: end.Throttled - m.pool0.Throttled, Loose: end.Loose - m.pool0.Loose}
	p := m.FS.DirtyPauses().Since(m.pauses0)
	run.DirtyPauses = &results.Pauses{Count: p.Count, TotalNs: p.TotalNs, P99Ns: p.P99Ns, MaxNs: p.MaxNs}
}

func (m *modelTarget) LockStats() []results.LockStat {
	var out []results.LockStat
	for _, s := range m.FS.LockStats() {
		out = append(out, results.LockStat{Lock: s.Lock, Site: s.Site, Mode: s.Mode,
			Acquisitions: s.Acquisitions, Contended: s.Contended, WaitNs: s.WaitNs, HoldNs: s.HoldNs,
			WaitHist: results.AddHist(nil, s.WaitHist, 1), HoldHist: results.AddHist(nil, s.HoldHist, 1)})
	}
	return out
}

// violationLog prints the lock validator's findings to the log as they are
// found, so that they are seen even if the run then deadlocks: the first
// maxLogged of a run in full, then a count.
type violationLog struct {
	mu       sync.Mutex // guards n and the lines written to w: workers find concurrently
	w        io.Writer
	strategy string
	n        int // findings so far
}

const maxLogged = 5

func (l *violationLog) report(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	switch {
	case l.n <= maxLogged:
		fmt.Fprintf(l.w, "rwbench: lock validator (%s): %s\n", l.strategy, s)
	case l.n == maxLogged+1:
		fmt.Fprintf(l.w, "rwbench: lock validator (%s): more findings; all of them are in the results\n", l.strategy)
	}
}

// workerTarget is a Target whose NewWorker returns its own worker type; the
// kernel and raw targets do not import this package.
type workerTarget[W target.Worker] interface {
	Name() string
	NewWorker() (W, error)
	Quiesce() error
	Check() []string
	Close() error
}

// adapted makes a workerTarget a Target.
type adapted[W target.Worker] struct{ workerTarget[W] }

func (a adapted[W]) NewWorker() (target.Worker, error) { return a.workerTarget.NewWorker() }

// workspace is where a run keeps its image and the kernel and raw targets' files.
type workspace struct {
	image  string // the image file or device; "" for memory
	dir    string // a directory for the kernel and raw targets' files
	tmpDir string // removed at the end when rwbench made it
	lock   *imageLock
}

func newWorkspace(c *config.Config) (*workspace, error) {
	ws := &workspace{}
	b := c.Backend
	if b.Path == "" || b.Kind == blockdev.KindMemory {
		dir, err := os.MkdirTemp("", "rwbench-")
		if err != nil {
			return nil, err
		}
		ws.tmpDir, ws.dir = dir, dir
		if b.Kind == blockdev.KindFile {
			ws.image = filepath.Join(dir, "image")
		}
		return ws, nil
	}
	ws.image = b.Path
	if b.Kind == blockdev.KindFile {
		ws.dir = filepath.Dir(b.Path)
		l, err := lockImage(b.Path, "/proc/locks")
		if err != nil {
			return nil, err
		}
		ws.lock = l
	}
	if slices.ContainsFunc(allStrategies(c), func(s string) bool { return targetKind(s) != "model" }) {
		dir, err := os.MkdirTemp(ws.dir, "rwbench-files-")
		if err != nil {
			ws.close()
			return nil, fmt.Errorf("backend.path %s: %w", b.Path, err)
		}
		ws.tmpDir, ws.dir = dir, dir
	}
	return ws, nil
}

func (ws *workspace) close() {
	if ws.tmpDir != "" {
		os.RemoveAll(ws.tmpDir)
	}
	ws.lock.release()
}

// openStore formats the backing store afresh for one run.
func openStore(c *config.Config, ws *workspace) (blockdev.Store, error) {
	b := c.Backend
	direct := b.Direct == nil || *b.Direct
	switch b.Kind {
	case blockdev.KindMemory:
		return blockdev.NewMemoryDevice(uint64(b.Size)/blockdev.BlockSize-1, blockdev.Device{
			Latency: b.Latency.D(), Bandwidth: int64(b.Bandwidth), Depth: b.QueueDepth}), nil
	case blockdev.KindBlockDev:
		return blockdev.OpenBlockDevice(blockdev.Options{Path: ws.image, Size: int64(b.Size), Direct: direct, Force: b.Force})
	}
	return blockdev.CreateFile(blockdev.Options{Path: ws.image, Size: int64(b.Size), Direct: direct, Force: b.Force})
}

// newTarget builds the target of one cell and repetition; the model's lock
// validator (config validate) reports to log as it finds, and its lock timing
// reads clk (calibrated once per invocation).
func newTarget(c *config.Config, name string, ws *workspace, clk *clock.Clock, log io.Writer) (target.Target, error) {
	files, size := c.Files.Count, int64(c.Files.Size)
	switch name {
	case TargetKernel:
		t, err := hostcache.New(ws.dir, files, size)
		if err != nil {
			return nil, err
		}
		return adapted[*hostcache.Worker]{t}, nil
	case TargetRaw:
		t, err := rawio.New(ws.dir, files, size)
		if err != nil {
			return nil, err
		}
		return adapted[*rawio.Worker]{t}, nil
	}
	if targetKind(name) == TargetRealFS {
		return newRealFS(c, name, ws)
	}
	s, err := strategies.New(name)
	if err != nil {
		return nil, err
	}
	store, err := openStore(c, ws)
	if err != nil {
		return nil, err
	}
	store = withFaults(c, ws.image, store)
	fs, err := vfs.New(store, s, files, size, vfs.Options{
		CacheBytes:           int64(c.Cache.Size),
		DirtyBackgroundBytes: int64(c.Cache.DirtyBackground),
		DirtyLimitBytes:      int64(c.Cache.DirtyLimit),
		ReadaheadBytes:       int64(c.Cache.Readahead),
		FaultAroundPages:     c.Cache.FaultAround,
		FlushInterval:        c.Cache.Flusher.D(),
		QueueDepth:           c.Backend.QueueDepth,
		RaceWindow:           c.RaceWindow.D(),
		LockTiming:           c.LockStats,
		Clock:                clk,
		Validate:             c.ValidateLocks,
		OnViolation:          (&violationLog{w: log, strategy: name}).report,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return &modelTarget{FS: fs, store: store}, nil
}

// beyondEOF reports a fault past end of file (SIGBUS), which a truncate in
// flight makes legitimate.
func beyondEOF(err error) bool {
	return errors.Is(err, sigbus.ErrBeyondEOF)
}

// Preflight checks that the config's backend can be opened, before anything
// runs: a missing directory, tmpfs with O_DIRECT, a file or device rwbench did
// not format, a mounted device; and that a real filesystem can be made for
// the xfs, ext4 and btrfs targets (checkRealFS). It writes nothing over
// anything rwbench did not create.
func Preflight(c *config.Config) error {
	if err := checkMemory(c, "/proc/meminfo"); err != nil {
		return err
	}
	ws, err := newWorkspace(c)
	if err != nil {
		return err
	}
	defer ws.close()
	if err := checkRealFS(c, ws, scratchfs.HostEnv()); err != nil {
		return err
	}
	if slices.ContainsFunc(allStrategies(c), func(s string) bool { return targetKind(s) == "model" }) {
		s, err := openStore(c, ws)
		if err != nil {
			return err
		}
		return s.Close()
	}
	return nil
}
