package config

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Known lists the names the caller accepts, so that this package need not import the
// model. A nil list skips that check (for tools that only read configs).
type Known struct {
	Strategies []string
	Ops        []string
	Backends   []string
}

// Patterns are the valid Job.Pattern values.
func Patterns() []string { return []string{"seq", "rand", "zipf"} }

// VerifyModes are the valid Config.Verify values.
func VerifyModes() []string { return []string{"off", "header", "full"} }

// Limits.
const (
	// MaxFaultAround is the largest Cache.FaultAround: one page table's worth of pages.
	MaxFaultAround = 512
	// MaxQueueDepth is the largest Backend.QueueDepth: blk-mq's BLK_MQ_MAX_DEPTH.
	MaxQueueDepth = 10240
	// MaxFiles is the largest Files.Count.
	MaxFiles = 1 << 16
	// MaxThreads is the largest Job.Threads.
	MaxThreads = 1 << 12
)

// Validate checks the config with its defaults filled in (it does not change c). It
// returns the first problem as an *Error, one line naming the key and, when the key
// is in the file, its line. A sweep is checked by building each of its cells.
func (c *Config) Validate(known Known) error {
	v := c.Clone()
	v.Defaults()
	if e := v.validate(known, true); e != nil {
		return e
	}
	return nil
}

// errAt returns an error about the key at path.
func (c *Config) errAt(path, format string, args ...any) *Error {
	return &Error{File: c.file, Line: c.keyLine(path), Key: path, Msg: fmt.Sprintf(format, args...)}
}

// pick returns the key a message about several keys is best pinned to: the first of
// paths given by Set (the latest change, from -set or a sweep), else the first in
// the file, else the first.
func (c *Config) pick(paths ...string) string {
	for _, p := range paths {
		if c.isGiven(p) && c.keyLine(p) == 0 {
			return p
		}
	}
	for _, p := range paths {
		if c.keyLine(p) > 0 {
			return p
		}
	}
	return paths[0]
}

func (c *Config) checkSize(path string, s Size) *Error {
	if s <= 0 {
		return c.errAt(path, "must be > 0, got %s", s)
	}
	if s%BlockSize != 0 {
		return c.errAt(path, "must be a multiple of 4KiB (the block size), got %s", s)
	}
	return nil
}

func (c *Config) checkName(path, what, name string, valid []string) *Error {
	if valid == nil || slices.Contains(valid, name) {
		return nil
	}
	if name == "" {
		return c.errAt(path, "required: one of %s", strings.Join(valid, ", "))
	}
	return c.errAt(path, "unknown %s %q: want one of %s", what, name, strings.Join(valid, ", "))
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validate checks a config whose defaults are filled. top is false for a sweep cell,
// which has no sweep and may have every job at 0 threads.
func (c *Config) validate(known Known, top bool) *Error {
	if c.Name == "" {
		return c.errAt("name", "required")
	}
	if !validName(c.Name) || len(c.Name) > 100 {
		return c.errAt("name", "must be 1 to 100 characters of a-z 0-9 . _ - (it names files), got %q", c.Name)
	}
	for _, check := range []func() *Error{func() *Error { return c.validateBackend(known) }, c.validateCache, c.validateFiles, c.validateRealFS} {
		if e := check(); e != nil {
			return e
		}
	}
	if len(c.Strategies) == 0 {
		if known.Strategies != nil {
			return c.errAt("strategies", "required: list one or more of %s", strings.Join(known.Strategies, ", "))
		}
		return c.errAt("strategies", "required: list one or more strategies")
	}
	for i, s := range c.Strategies {
		p := index("strategies", i)
		if e := c.checkName(p, "strategy", s, known.Strategies); e != nil {
			return e
		}
		if slices.Index(c.Strategies, s) < i {
			return c.errAt(p, "%q is listed twice", s)
		}
	}
	if c.Duration <= 0 {
		return c.errAt("duration", "must be > 0, got %s", c.Duration)
	}
	if c.Warmup < 0 {
		return c.errAt("warmup", "must be >= 0, got %s", c.Warmup)
	}
	if c.Repeat < 1 {
		return c.errAt("repeat", "must be >= 1, got %d", c.Repeat)
	}
	if e := c.checkName("verify", "mode", c.Verify, VerifyModes()); e != nil {
		return e
	}
	if c.RaceWindow < 0 {
		return c.errAt("race_window", "must be >= 0, got %s", c.RaceWindow)
	}
	if c.Watchdog < 0 {
		return c.errAt("watchdog", "must be >= 0 (0: the default, 10s), got %s", c.Watchdog)
	}
	if c.Interval <= 0 {
		return c.errAt("interval", "must be > 0, got %s", c.Interval)
	}
	if c.Interval > c.Duration {
		return c.errAt(c.pick("interval", "duration"), "interval (%s) must be <= duration (%s)", c.Interval, c.Duration)
	}
	if e := c.validateJobs(known, top); e != nil {
		return e
	}
	if top && c.Sweep != nil {
		if e := c.validateSweep(known); e != nil {
			return e
		}
	}
	if top {
		return c.validateGoals(known)
	}
	return nil
}

// validateGoals checks the calibration goals against the config's phases.
func (c *Config) validateGoals(known Known) *Error {
	var phases []string
	if c.Sweep != nil {
		for _, s := range c.Sweep.Sets {
			phases = append(phases, s.Name)
		}
	}
	checkPhase := func(path, name string, required bool) *Error {
		switch {
		case len(phases) == 0 && name != "":
			return c.errAt(path, "the config has no sweep sets: leave it out")
		case len(phases) > 0 && name == "" && required:
			return c.errAt(path, "required: one of the sweep sets %s", strings.Join(phases, ", "))
		case len(phases) > 0 && name != "" && !slices.Contains(phases, name):
			return c.errAt(path, "unknown phase %q: want one of the sweep sets %s", name, strings.Join(phases, ", "))
		}
		return nil
	}
	for i, g := range c.Goals {
		p := index("goals", i)
		if e := checkPhase(c.pick(p+".phase", p), g.Phase, true); e != nil {
			return e
		}
		if g.Op == "" {
			return c.errAt(c.pick(p+".op", p), "required: the op compared, like read")
		}
		if e := c.checkName(p+".op", "op", g.Op, known.Ops); e != nil {
			return e
		}
		if g.Vs == "" {
			return c.errAt(c.pick(p+".vs", p), "required: the reference, like kernel or raw")
		}
		if e := c.checkName(p+".vs", "strategy", g.Vs, known.Strategies); e != nil {
			return e
		}
		if e := checkPhase(p+".vs_phase", g.VsPhase, false); e != nil {
			return e
		}
		if !(g.Min >= 0) || math.IsInf(g.Min, 0) {
			return c.errAt(p+".min", "must be >= 0 (0: no target), got %v", g.Min)
		}
		if k := slices.IndexFunc(c.Goals[:i], func(h Goal) bool { return h.Phase == g.Phase && h.Op == g.Op && h.Vs == g.Vs && h.VsPhase == g.VsPhase }); k >= 0 {
			return c.errAt(p, "the same goal as goals[%d]", k)
		}
	}
	return nil
}

func (c *Config) validateBackend(known Known) *Error {
	b := &c.Backend
	if e := c.checkName("backend.kind", "backend", b.Kind, known.Backends); e != nil {
		return e
	}
	if b.Kind == "blockdev" && b.Path == "" {
		return c.errAt("backend.path", "required for kind blockdev")
	}
	if e := c.checkSize("backend.size", b.Size); e != nil {
		return e
	}
	if b.Latency < 0 {
		return c.errAt("backend.latency", "must be >= 0, got %s", b.Latency)
	}
	if b.Latency != 0 && b.Kind != "memory" {
		return c.errAt("backend.latency", "only for kind memory, not %s", b.Kind)
	}
	if b.Bandwidth != 0 && b.Kind != "memory" {
		return c.errAt("backend.bandwidth", "only for kind memory, not %s", b.Kind)
	}
	if b.QueueDepth < 1 || b.QueueDepth > MaxQueueDepth {
		return c.errAt("backend.queue_depth", "must be between 1 and %d I/Os, got %d", MaxQueueDepth, b.QueueDepth)
	}
	return c.validateFaults()
}

func (c *Config) validateCache() *Error {
	k := &c.Cache
	for _, s := range []struct {
		path string
		size Size
	}{
		{"cache.size", k.Size},
		{"cache.dirty_background", k.DirtyBackground},
		{"cache.dirty_limit", k.DirtyLimit},
		{"cache.readahead", k.Readahead},
	} {
		if e := c.checkSize(s.path, s.size); e != nil {
			return e
		}
	}
	if k.DirtyLimit > k.Size {
		return c.errAt(c.pick("cache.dirty_limit", "cache.size"), "cache.dirty_limit (%s) must be <= cache.size (%s)", k.DirtyLimit, k.Size)
	}
	if k.DirtyBackground > k.DirtyLimit {
		return c.errAt(c.pick("cache.dirty_background", "cache.dirty_limit", "cache.size"),
			"cache.dirty_background (%s) must be <= cache.dirty_limit (%s)", k.DirtyBackground, k.DirtyLimit)
	}
	if k.FaultAround < 0 || k.FaultAround > MaxFaultAround {
		return c.errAt("cache.fault_around", "must be between 0 and %d pages, got %d", MaxFaultAround, k.FaultAround)
	}
	if k.Flusher <= 0 {
		return c.errAt("cache.flusher", "must be > 0, got %s", k.Flusher)
	}
	return nil
}

func (c *Config) validateFiles() *Error {
	f := &c.Files
	if f.Count <= 0 || f.Count > MaxFiles {
		return c.errAt("files.count", "must be between 1 and %d, got %d", MaxFiles, f.Count)
	}
	if e := c.checkSize("files.size", f.Size); e != nil {
		return e
	}
	where := c.pick("files.size", "files.count", "backend.size")
	if int64(f.Size) > math.MaxInt64/2/int64(f.Count) {
		return c.errAt(where, "%d files of %s are too large", f.Count, f.Size)
	}
	data := Size(f.Count) * f.Size
	need := data + data/100 + MiB
	if need > c.Backend.Size {
		return c.errAt(where, "%d files of %s need backend.size >= %s (%s + 1%% + 1MiB for metadata), got %s",
			f.Count, f.Size, (need+MiB-1)/MiB*MiB, data, c.Backend.Size)
	}
	return nil
}

// validateRealFS checks that the files fit the real filesystems' image; whether
// mkfs takes the image is checked before a run that makes one.
func (c *Config) validateRealFS() *Error {
	if e := c.checkSize("realfs.image_size", c.RealFS.ImageSize); e != nil {
		return e
	}
	data := Size(c.Files.Count) * c.Files.Size
	if data >= c.RealFS.ImageSize {
		return c.errAt(c.pick("realfs.image_size", "files.size", "files.count"),
			"%d files of %s need realfs.image_size > %s (with room for the filesystem's metadata), got %s",
			c.Files.Count, c.Files.Size, data, c.RealFS.ImageSize)
	}
	return nil
}

func (c *Config) validateJobs(known Known, top bool) *Error {
	if len(c.Jobs) == 0 {
		return c.errAt("jobs", "required: at least one job")
	}
	running := false
	for i := range c.Jobs {
		if e := c.validateJob(known, i); e != nil {
			return e
		}
		running = running || c.Jobs[i].Threads > 0
	}
	if top && !running && !c.Sweep.touches("jobs") {
		return c.errAt("jobs", "no job has threads > 0")
	}
	return nil
}

func (c *Config) validateJob(known Known, i int) *Error {
	j := &c.Jobs[i]
	p := index("jobs", i)
	if e := c.checkName(p+".op", "op", j.Op, known.Ops); e != nil {
		return e
	}
	if j.Op == "" {
		return c.errAt(p+".op", "required")
	}
	for k := range i {
		if c.Jobs[k].Name == j.Name {
			return c.errAt(p+".name", "%q is also the name of jobs[%d]", j.Name, k)
		}
	}
	if j.Threads < 0 {
		return c.errAt(p+".threads", "must be >= 0, got %d", j.Threads)
	}
	if j.Threads > MaxThreads {
		return c.errAt(p+".threads", "must be <= %d, got %d", MaxThreads, j.Threads)
	}
	// span is the range of a file the job works in.
	span, spanName := c.Files.Size, "files.size"
	if r := j.Region; r != nil {
		if r.Offset < 0 || r.Offset%BlockSize != 0 {
			return c.errAt(p+".region.offset", "must be >= 0 and a multiple of 4KiB (the block size), got %s", r.Offset)
		}
		if e := c.checkSize(p+".region.size", r.Size); e != nil {
			return e
		}
		if r.Offset > c.Files.Size || r.Size > c.Files.Size-r.Offset {
			return c.errAt(c.pick(p+".region.size", p+".region.offset", p+".region", "files.size"),
				"region %s+%s ends past the end of the file (files.size %s)", r.Offset, r.Size, c.Files.Size)
		}
		span, spanName = r.Size, "the region size"
	}
	if e := c.checkSize(p+".bs", j.BS); e != nil {
		return e
	}
	if j.BS > span {
		return c.errAt(c.pick(p+".bs", "files.size"), "bs (%s) must be <= %s (%s)", j.BS, spanName, span)
	}
	if e := c.checkName(p+".pattern", "pattern", j.Pattern, Patterns()); e != nil {
		return e
	}
	if j.Pattern == "zipf" {
		if !(j.Zipf > 1) || math.IsInf(j.Zipf, 0) {
			return c.errAt(p+".zipf", "must be > 1, got %v", j.Zipf)
		}
	} else if j.Zipf != 0 {
		return c.errAt(p+".zipf", "only for pattern zipf, not %s", j.Pattern)
	}
	if _, err := parseFiles(j.Files, c.Files.Count); err != nil {
		return c.errAt(p+".files", "%v", err)
	}
	if !(j.Rate >= 0) || math.IsInf(j.Rate, 0) {
		return c.errAt(p+".rate", "must be >= 0 ops/s (0 is a closed loop), got %v", j.Rate)
	}
	if _, ok := rangeOp(j.Op); ok {
		if e := c.checkSize(p+".length", j.Length); e != nil {
			return e
		}
		if j.Length > span {
			return c.errAt(c.pick(p+".length", "files.size"), "length (%s) must be <= %s (%s)", j.Length, spanName, span)
		}
	} else if j.Length != 0 {
		return c.errAt(p+".length", "only for punch, zero, truncate and advise, not %s", j.Op)
	}
	if j.Refault != nil && !mapOp(j.Op) {
		return c.errAt(p+".refault", "only for fault and mkwrite, not %s", j.Op)
	}
	return c.validateUserBuffer(i)
}
