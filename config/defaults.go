package config

import (
	"strconv"
	"time"

	"github.com/rwbench/rwbench/blockdev"
)

// Default values.
const (
	DefaultBackendSize     = 1 * GiB
	DefaultCacheSize       = 256 * MiB
	DefaultReadahead       = 128 * KiB
	DefaultFaultAround     = 16
	DefaultFlusher         = Duration(100 * time.Millisecond)
	DefaultFileCount       = 4
	DefaultFileSize        = 64 * MiB
	DefaultDuration        = Duration(5 * time.Second)
	DefaultWarmup          = Duration(time.Second)
	DefaultInterval        = Duration(time.Second)
	DefaultRepeat          = 3
	DefaultSeed            = 1
	DefaultVerify          = "header"
	DefaultBS              = 4 * KiB
	DefaultPattern         = "rand"
	DefaultZipf            = 1.1
	DefaultFiles           = "all"
	DefaultRangeLength     = 64 * KiB  // punch, zero, truncate
	DefaultAdviseLength    = 128 * KiB // advise
	DefaultBackendKind     = "file"
	DefaultQueueDepth      = blockdev.DefaultQueueDepth // why 128: see there
	defaultDirtyBackground = 10                         // percent of the cache
	defaultDirtyLimit      = 20                         // percent of the cache
)

// rangeOp reports whether op works on a byte range given by Job.Length, and the
// default length.
func rangeOp(op string) (Size, bool) {
	switch op {
	case "punch", "zero", "truncate":
		return DefaultRangeLength, true
	case "advise":
		return DefaultAdviseLength, true
	}
	return 0, false
}

// mapOp reports whether op accesses a file through a mapping (Job.Refault applies).
func mapOp(op string) bool { return op == "fault" || op == "mkwrite" }

// Defaults fills in the default of every key that is zero and was not given, in the
// file or by Set. A given key keeps its value even when it is zero (threads: 0,
// warmup: 0s, fault_around: 0, lock_stats: false), and Validate then judges it. A
// config built in Go has no given keys, so there every zero field gets its default;
// use Set to give a zero. Defaults is idempotent.
func (c *Config) Defaults() {
	d := defaulter{c: c}
	setDefault(d, &c.Backend.Kind, "backend.kind", DefaultBackendKind)
	setDefault(d, &c.Backend.Size, "backend.size", DefaultBackendSize)
	setDefaultPtr(d, &c.Backend.Direct, "backend.direct", true)
	setDefault(d, &c.Backend.QueueDepth, "backend.queue_depth", DefaultQueueDepth)

	setDefault(d, &c.Cache.Size, "cache.size", DefaultCacheSize)
	setDefault(d, &c.Cache.DirtyBackground, "cache.dirty_background", percentOf(c.Cache.Size, defaultDirtyBackground))
	setDefault(d, &c.Cache.DirtyLimit, "cache.dirty_limit", percentOf(c.Cache.Size, defaultDirtyLimit))
	setDefault(d, &c.Cache.Readahead, "cache.readahead", DefaultReadahead)
	setDefault(d, &c.Cache.FaultAround, "cache.fault_around", DefaultFaultAround)
	setDefault(d, &c.Cache.Flusher, "cache.flusher", DefaultFlusher)

	setDefault(d, &c.Files.Count, "files.count", DefaultFileCount)
	setDefault(d, &c.Files.Size, "files.size", DefaultFileSize)
	setDefaultPtr(d, &c.Files.Prefill, "files.prefill", true)
	setDefault(d, &c.RealFS.ImageSize, "realfs.image_size", imageSizeFor(c.Files))

	setDefault(d, &c.Duration, "duration", DefaultDuration)
	setDefault(d, &c.Warmup, "warmup", DefaultWarmup)
	setDefault(d, &c.Repeat, "repeat", DefaultRepeat)
	setDefault(d, &c.Seed, "seed", DefaultSeed)
	setDefault(d, &c.Verify, "verify", DefaultVerify)
	setDefault(d, &c.Interval, "interval", DefaultInterval)
	setDefault(d, &c.LockStats, "lock_stats", true)
	setDefaultPtr(d, &c.Record, "record", true)

	// Job names: a given name is kept (Validate rejects duplicates); a missing one is
	// the op, or "<op>-<index>" when that is taken.
	taken := map[string]bool{}
	for _, j := range c.Jobs {
		if j.Name != "" {
			taken[j.Name] = true
		}
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		p := index("jobs", i)
		name := j.Op
		if taken[name] {
			name = j.Op + "-" + strconv.Itoa(i)
		}
		if j.Op != "" && setDefault(d, &j.Name, p+".name", name) {
			taken[name] = true
		}
		setDefault(d, &j.Threads, p+".threads", 1)
		setDefault(d, &j.BS, p+".bs", DefaultBS)
		setDefault(d, &j.Pattern, p+".pattern", DefaultPattern)
		if j.Pattern == "zipf" {
			setDefault(d, &j.Zipf, p+".zipf", DefaultZipf)
		}
		setDefault(d, &j.Files, p+".files", DefaultFiles)
		if l, ok := rangeOp(j.Op); ok {
			setDefault(d, &j.Length, p+".length", l)
		}
		if mapOp(j.Op) {
			setDefaultPtr(d, &j.Refault, p+".refault", true)
		}
	}
}

// imageSizeFor is the default realfs.image_size: the files' total, a quarter
// more and 512MiB, rounded up to a MiB.
func imageSizeFor(f Files) Size {
	data := Size(f.Count) * f.Size
	return (data + data/4 + 512*MiB + MiB - 1) / MiB * MiB
}

// percentOf returns pct% of s rounded down to a block, at least one block.
func percentOf(s Size, pct int64) Size {
	v := s / 100 * Size(pct) / BlockSize * BlockSize
	return max(v, BlockSize)
}

type defaulter struct{ c *Config }

// setDefault sets *p to v if *p is zero and the key at path was not given, and
// records that it did.
func setDefault[T comparable](d defaulter, p *T, path string, v T) bool {
	var zero T
	if *p != zero || d.c.isGiven(path) {
		return false
	}
	*p = v
	d.mark(path)
	return true
}

func setDefaultPtr[T any](d defaulter, p **T, path string, v T) {
	if *p != nil || d.c.isGiven(path) {
		return
	}
	*p = &v
	d.mark(path)
}

func (d defaulter) mark(path string) {
	if d.c.filled == nil {
		d.c.filled = map[string]bool{}
	}
	d.c.filled[path] = true
}
