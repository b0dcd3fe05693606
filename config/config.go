package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Config is one `rwbench run` configuration. The zero value of a field means "use the
// default" unless the key was given (in the file or by Set); see Defaults. Methods
// that change a Config (Set, Defaults) must not run concurrently with any other use;
// give each goroutine its own Clone.
type Config struct {
	// Name names the run and its result files: required, [a-z0-9._-]+.
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Backend     Backend `json:"backend"`
	Cache       Cache   `json:"cache"`
	Files       Files   `json:"files"`
	RealFS      RealFS  `json:"realfs"`
	// Strategies are the strategy (or target) names to run, in order; required.
	Strategies []string `json:"strategies"`
	// Duration is the measurement window of one run, default 5s.
	Duration Duration `json:"duration"`
	// Warmup runs the jobs unmeasured before each measurement, default 1s; 0 is allowed.
	Warmup Duration `json:"warmup"`
	// Repeat is the number of runs per cell, default 3.
	Repeat int `json:"repeat"`
	// Seed seeds every random stream, default 1.
	Seed int64 `json:"seed"`
	// Verify is how much of each read the oracle checks: off, header (the stamp) or
	// full (stamp and payload), default header.
	Verify string `json:"verify"`
	// RaceWindow is a delay between the page-cache truncate and the block-map change
	// in punch, truncate and zero: the knob that widens the race. Default 0.
	RaceWindow Duration `json:"race_window"`
	// Interval is the step of the throughput series, default 1s.
	Interval Duration `json:"interval"`
	// LockStats times lock waits and holds (counts are always kept), default true.
	LockStats bool `json:"lock_stats"`
	// ValidateLocks (key validate) runs the model's lock validator on every
	// lock acquisition (lock order, recursion, cycles in the lock-class
	// graph), default false; its findings go into the results. It slows the
	// locking paths; off, it costs nothing.
	ValidateLocks bool `json:"validate,omitempty"`
	// Record times every op into the latency histograms and the throughput series,
	// default true. With false the workers only count their ops (ops/s is still
	// measured over the window, the series is sampled per interval): the run then
	// shows what the measurement itself costs. Latencies are not reported.
	Record *bool `json:"record,omitempty"`
	// ExpectErrors says operations failing is what the run is about (injected
	// faults): a run with failed operations then does not fail.
	ExpectErrors bool `json:"expect_errors,omitempty"`
	// Watchdog is how long no operation may complete (during the measurement),
	// or no prefill or check chunk, before the run is declared stuck; default 10s.
	Watchdog Duration `json:"watchdog,omitempty"`

	Jobs  []Job  `json:"jobs"`
	Sweep *Sweep `json:"sweep,omitempty"`
	// Goals are calibration targets that `rwbench report` checks: ratios of the
	// model's ops/s to a reference cell's. None by default.
	Goals []Goal `json:"goals,omitempty"`

	// file is the name the config was parsed under, for error messages.
	file string
	// given maps the path of every key given in the file or by Set to its line in the
	// file (0 for Set). Defaults never overrides a given key, so 0 can be a value.
	given map[string]int
	// filled holds the paths Defaults filled in, so Set can recompute them.
	filled map[string]bool
}

// Backend is the backing store under the model's block map.
type Backend struct {
	// Kind is file (an image file, default), blockdev or memory.
	Kind string `json:"kind"`
	// Path is the image file or block device; for kind file the default is an image in
	// a temporary directory, removed afterwards. Required for blockdev.
	Path string `json:"path,omitempty"`
	// Size is the store's size, default 1GiB.
	Size Size `json:"size"`
	// Direct opens the store with O_DIRECT, default true.
	Direct *bool `json:"direct"`
	// Force allows overwriting an existing image or device.
	Force bool `json:"force"`
	// Latency is the memory device's service time per I/O (memory only); I/Os in
	// service at once overlap it (see blockdev.Device).
	Latency Duration `json:"latency,omitempty"`
	// Faults injects I/O errors and stalls into the model's store (see Faults).
	Faults *Faults `json:"faults,omitempty"`
	// Bandwidth is the memory device's transfer rate in bytes per second, shared by
	// all I/Os: the service time per byte (memory only); 0 is unlimited.
	Bandwidth Size `json:"bandwidth,omitempty"`
	// QueueDepth is the most I/Os the model keeps in flight on the store (the
	// request queue's tags) and, for memory, the I/Os the device serves at once;
	// default 128 (blockdev.DefaultQueueDepth).
	QueueDepth int `json:"queue_depth"`
}

// Cache sizes the user-space page cache.
type Cache struct {
	// Size is the page-cache limit, default 256MiB.
	Size Size `json:"size"`
	// DirtyBackground wakes the flusher above it, default 10% of Size.
	DirtyBackground Size `json:"dirty_background"`
	// DirtyLimit throttles writers above it, default 20% of Size.
	DirtyLimit Size `json:"dirty_limit"`
	// Readahead is the maximum readahead window, default 128KiB.
	Readahead Size `json:"readahead"`
	// FaultAround is the number of pages a read fault maps around itself, default 16;
	// 0 disables fault-around.
	FaultAround int `json:"fault_around"`
	// Flusher is the flusher's wakeup interval, default 100ms.
	Flusher Duration `json:"flusher"`
}

// RealFS sizes the real filesystems that the xfs, ext4 and btrfs targets make
// for each run.
type RealFS struct {
	// ImageSize is the size of the sparse image file under the filesystem,
	// default the files' total plus a quarter plus 512MiB: room for the
	// filesystem's metadata and log, and for btrfs's copy-on-write.
	ImageSize Size `json:"image_size"`
}

// Files are the files the jobs work on.
type Files struct {
	Count int  `json:"count"` // default 4
	Size  Size `json:"size"`  // each; default 64MiB
	// Prefill writes every file in full before the first run, default true.
	Prefill *bool `json:"prefill"`
	// Warm reads every file in full after the prefill (and after the target has
	// dropped its cache), so that a run starts with the files cached as far as the
	// cache holds them; default false (a cold cache).
	Warm bool `json:"warm,omitempty"`
}

// Job is a group of identical worker threads.
type Job struct {
	// Name labels the job in output, default the op (then "<op>-<index>" when taken).
	Name string `json:"name"`
	// Op is read, write, fault, mkwrite, punch, truncate, zero or advise (the valid
	// names come from the caller, see Known).
	Op string `json:"op"`
	// Threads is the number of workers, default 1; 0 disables the job (a sweep may
	// go through 0).
	Threads int `json:"threads"`
	// BS is the size of one read or write, default 4KiB.
	BS Size `json:"bs"`
	// Pattern picks offsets: seq, rand (default) or zipf.
	Pattern string `json:"pattern"`
	// Zipf is the zipf exponent s > 1, default 1.1 (pattern zipf only).
	Zipf float64 `json:"zipf,omitempty"`
	// Files selects the files: "all" (default), "0", "0-3", "1,3" or "0-1,3".
	Files string `json:"files"`
	// Rate is ops/s per thread for an open loop; 0 is a closed loop (default).
	Rate float64 `json:"rate"`
	// Length is the range of a punch, zero, truncate or advise: default 64KiB for
	// punch, zero and truncate, 128KiB for advise.
	Length Size `json:"length,omitempty"`
	// Region restricts the job to a sub-range of each file.
	Region *Region `json:"region,omitempty"`
	// Refault drops the mapping before each access (fault and mkwrite), default true.
	Refault *bool `json:"refault,omitempty"`
	// UserBuffer is where a read copies to: heap (an ordinary buffer, the
	// default) or mmap, a shared mapping of file UserFile, so that the copy to
	// the user buffer faults (the model only; read only).
	UserBuffer string `json:"user_buffer,omitempty"`
	// UserFile is the file whose mapping is the buffer with user_buffer: mmap
	// (required then). Each worker has its own bs-sized slot of it, the jobs'
	// slots one after the other. The reads overwrite it, so with verify on no
	// job may work on it, and its content is not checked after the run.
	UserFile int `json:"user_file,omitempty"`
}

// Region is a byte range of a file.
type Region struct {
	Offset Size `json:"offset"`
	Size   Size `json:"size"`
}

// Sweep runs the strategy matrix once per point: per value of one parameter
// (Param and Values), or per named set of keys (Sets), the phases of one
// experiment. A sweep has either Param and Values or Sets.
type Sweep struct {
	// Param is a path as -set takes it, like jobs[1].threads or cache.size.
	Param string `json:"param,omitempty"`
	// Values are set with Set(Param, value), one cell each.
	Values []string `json:"values,omitempty"`
	// Sets are the phases, in order: each sets several keys at once. A phase's
	// cells have the params {"phase": Name}.
	Sets []SweepSet `json:"sets,omitempty"`
}

// SweepSet is one phase of a sweep: a name and the keys it sets.
type SweepSet struct {
	// Name labels the phase in results ([a-z0-9._-]+, unique).
	Name string `json:"name"`
	// Set are "key=value" assignments, applied in order as -set applies them
	// (strategies=invalidate,kernel limits the phase to those strategies).
	Set []string `json:"set"`
}

// Goal is a calibration target: in Phase, each model strategy's median ops/s of
// Op divided by that of the reference cell, strategy or target Vs in phase
// VsPhase (default Phase), must be at least Min. Min 0 shows the ratio without a
// target. When Vs is a model strategy, only the same strategy is compared (the
// measurement overhead: a phase against a copy of itself with record: false).
type Goal struct {
	// Phase is the sweep set the model cells are in; empty for a config without
	// sets.
	Phase string `json:"phase,omitempty"`
	// Op is the op compared, like read or fault.
	Op string `json:"op"`
	// Vs is the reference: kernel, raw or a strategy.
	Vs string `json:"vs"`
	// VsPhase is the reference's phase, default Phase.
	VsPhase string `json:"vs_phase,omitempty"`
	// Min is the least ratio that passes; 0 for none.
	Min float64 `json:"min"`
}

// PhaseParam is the params key of a cell of a sweep by sets.
const PhaseParam = "phase"

// Recording reports whether the run times its ops (Record, default true).
func (c *Config) Recording() bool { return c.Record == nil || *c.Record }

// Clone returns a deep copy of c: nothing in the copy shares memory with c.
func (c *Config) Clone() *Config {
	n := *c
	n.Backend.Direct = clonePtr(c.Backend.Direct)
	n.Files.Prefill = clonePtr(c.Files.Prefill)
	n.Record = clonePtr(c.Record)
	n.Backend.Faults = clonePtr(c.Backend.Faults)
	n.Strategies = cloneSlice(c.Strategies)
	n.Goals = cloneSlice(c.Goals)
	if c.Jobs != nil {
		n.Jobs = make([]Job, len(c.Jobs))
		for i, j := range c.Jobs {
			j.Region = clonePtr(j.Region)
			j.Refault = clonePtr(j.Refault)
			n.Jobs[i] = j
		}
	}
	if c.Sweep != nil {
		n.Sweep = &Sweep{Param: c.Sweep.Param, Values: cloneSlice(c.Sweep.Values)}
		if c.Sweep.Sets != nil {
			n.Sweep.Sets = make([]SweepSet, len(c.Sweep.Sets))
			for i, ss := range c.Sweep.Sets {
				n.Sweep.Sets[i] = SweepSet{Name: ss.Name, Set: cloneSlice(ss.Set)}
			}
		}
	}
	n.given = cloneMap(c.given)
	n.filled = cloneMap(c.filled)
	return &n
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	n := make(map[K]V, len(m))
	for k, v := range m {
		n[k] = v
	}
	return n
}

// JobKey is what the results call job i: its op, or its name when another job
// runs the same op (so two read jobs, say a sequential and a random one, keep
// their own figures; job names are unique).
func (c *Config) JobKey(i int) string {
	j := c.Jobs[i]
	for k, o := range c.Jobs {
		if k != i && o.Op == j.Op {
			return j.Name
		}
	}
	return j.Op
}

// FileIndexes returns the file indexes job j works on, in increasing order, or nil
// when its selector is invalid (Validate reports that).
func (c *Config) FileIndexes(j Job) []int {
	idx, err := parseFiles(j.Files, c.Files.Count)
	if err != nil {
		return nil
	}
	return idx
}

// parseFiles parses a files selector: "all" (or empty), "N", "N-M", or a comma list
// of those. It returns the sorted, distinct indexes.
func parseFiles(sel string, count int) ([]int, error) {
	if count > MaxFiles {
		return nil, fmt.Errorf("files.count %d is above %d", count, MaxFiles)
	}
	sel = strings.TrimSpace(sel)
	if sel == "" || sel == "all" {
		idx := make([]int, max(count, 0))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	bad := fmt.Errorf("invalid selector %q: want all, an index like 0, a range like 0-3 or a list like 1,3", sel)
	seen := map[int]bool{}
	for part := range strings.SplitSeq(sel, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseIndex(strings.TrimSpace(lo))
		if err != nil {
			return nil, bad
		}
		b := a
		if isRange {
			if b, err = parseIndex(strings.TrimSpace(hi)); err != nil {
				return nil, bad
			}
			if b < a {
				return nil, fmt.Errorf("range %q is backwards", part)
			}
		}
		if b >= count {
			return nil, fmt.Errorf("file %d out of range: files.count is %d", b, count)
		}
		for i := a; i <= b; i++ {
			seen[i] = true
		}
	}
	idx := make([]int, 0, len(seen))
	for i := range seen {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx, nil
}

func parseIndex(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 9 {
		return 0, fmt.Errorf("not an index")
	}
	return strconv.Atoi(s)
}

// JSON returns the config as indented JSON, for the results file; call it after
// Defaults so that it is the resolved config. Keys are the YAML keys; sizes are byte
// counts and durations Go strings.
//
// Keys added after the first results files were written (record, files.warm,
// sweep.sets) are left out while they hold their default, so that the results of
// a config that does not use them stay comparable with older files.
func (c *Config) JSON() []byte {
	out := c
	if c.Record != nil && *c.Record {
		out = c.Clone()
		out.Record = nil
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		// Only a NaN or infinite rate or zipf gets here, and Validate rejects those.
		b, _ = json.Marshal(map[string]string{"name": c.Name, "error": err.Error()})
	}
	return b
}
