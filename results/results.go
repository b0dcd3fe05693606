// Package results defines the results file that `rwbench run` writes and that
// `report`, `plot` and `compare` read. The JSON names are a stable interface:
// other tools read them, so change them only with a new Schema number.
//
// The package also holds everything that is about the file rather than about one
// reader of it, so that `report`, `plot` and `compare` agree:
//
//   - Read, Write and Validate: Write is atomic (a temporary file in the same
//     directory, synced, then renamed over the target), so an interrupted run never
//     leaves half a file where a previous good one was. Read validates, and a file of
//     another schema is refused with a *SchemaError rather than misread.
//   - Summarize and EstimateOf: the per-cell summary is benchmath's
//     (golang.org/x/perf/benchmath) AssumeNothing summary, the median with a
//     distribution-free confidence interval, because benchmark runs are rarely
//     normal. The interval is stored finite (see Estimate) since JSON has no ∞.
//   - Merge and DiffConfig: runs of one config taken at different times (for
//     example interleaved with another binary's runs in CI) are merged into one
//     file; DiffConfig names the config keys in which two files differ, which is
//     what makes two files incomparable or unmergeable.
//   - Key, ParamsString and SortOps: the one cell identity (strategy plus sweep
//     params) and op order every reader uses.
package results

import (
	"encoding/json"
	"math/bits"
	"time"
)

// Schema is the version of the results file layout.
const Schema = 1

// File is one results file: one invocation of `rwbench run`.
type File struct {
	Schema   int       `json:"schema"`
	RWBench  string    `json:"rwbench"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Partial is true when the run was interrupted (SIGINT, SIGTERM, SIGHUP) or
	// stopped by the watchdog, and holds only what was gathered.
	Partial bool `json:"partial,omitempty"`
	// Failed says why the run failed (watchdog, I/O error); empty when it did not.
	Failed  string  `json:"failed,omitempty"`
	Machine Machine `json:"machine"`
	// Config is the fully resolved config (defaults filled, -set applied), as JSON.
	Config json.RawMessage `json:"config"`
	// Name is the config's name, repeated here so readers need not parse Config.
	Name    string `json:"name"`
	Results []Cell `json:"results"`
	// LockHistBucketsNs are the lower bounds in nanoseconds of the buckets of
	// every lock histogram in the file (LockStat.WaitHist, HoldHist): bucket i
	// counts [LockHistBucketsNs[i], LockHistBucketsNs[i+1]), the last one
	// everything from its bound. Write fills it, as long as the longest
	// histogram; absent when there is none.
	LockHistBucketsNs []int64 `json:"lock_hist_buckets_ns,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	Brand  string `json:"brand"`
	Vendor string `json:"vendor"`
	Family int    `json:"family"`
	Model  int    `json:"model"`
	// CPUs are the CPUs the process may run on (sched_getaffinity(2), what
	// nproc prints) and OnlineCPUs those the kernel has online; files written
	// before they were added leave them 0.
	CPUs       int `json:"cpus,omitempty"`
	OnlineCPUs int `json:"online_cpus,omitempty"`
	// MemoryBytes is the machine's RAM (sysinfo(2)); 0 when unknown.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// Clocksource is the kernel's clocksource (kvm-clock, tsc, hpet, ...).
	Clocksource string `json:"clocksource,omitempty"`
	// PhysicalCores, LogicalCores and ThreadsPerCore are what CPUID claims: on a
	// virtual machine, often the host's package, not what the guest has.
	PhysicalCores  int      `json:"physical_cores"`
	LogicalCores   int      `json:"logical_cores"`
	ThreadsPerCore int      `json:"threads_per_core"`
	L1DataBytes    int      `json:"l1d_bytes"`
	L1InstBytes    int      `json:"l1i_bytes"`
	L2Bytes        int      `json:"l2_bytes"`
	L3Bytes        int      `json:"l3_bytes"`
	Hypervisor     string   `json:"hypervisor"`
	Features       []string `json:"features"`
	Kernel         string   `json:"kernel"`
	GoVersion      string   `json:"go_version"`
	GOMAXPROCS     int      `json:"gomaxprocs"`
	// FSType is the filesystem holding the image ("ext4", "xfs", "blockdev", "memory").
	FSType string `json:"fs_type"`
	// GOOS and GOARCH are runtime.GOOS and runtime.GOARCH of the rwbench binary.
	// Files written before they were added leave them empty.
	GOOS   string `json:"goos,omitempty"`
	GOARCH string `json:"goarch,omitempty"`
	// Clock is the clock that timed the ops (package clock): "tsc" (the CPU's
	// time-stamp counter, calibrated against the monotonic clock) or
	// "monotonic" (time.Since). TSCHz is the calibrated TSC rate, ticks per
	// second, with "tsc". Files written before they were added leave them empty.
	Clock string `json:"clock,omitempty"`
	TSCHz int64  `json:"tsc_hz,omitempty"`
}

// Cell is one point of the matrix: a strategy (or target) and one set of sweep values.
type Cell struct {
	Strategy string `json:"strategy"`
	// Target is "model" for the five strategies and their successors, "kernel" or
	// "raw" for those targets, "realfs" for xfs, ext4 and btrfs.
	Target string `json:"target"`
	// Params maps each swept config key to its value in this cell; empty without a sweep.
	Params  map[string]string `json:"params"`
	Runs    []Run             `json:"runs"`
	Summary Summary           `json:"summary"`
}

// TornIsFinding reports whether a torn read (Verify.Torn) is a finding for the
// cell's target, as stale data is, or only reported. The model publishes every
// page whole (a write swaps in a new buffer, readers copy from an immutable
// one), so a torn read there is a bug of the model: always a finding. The host
// kernel (target kernel) does not make a buffered read atomic against a write
// of the same page: ext4 and btrfs copy out of a cached page without its lock
// while a write copies into it under the lock, so a read overlapping a write
// can return part of each; XFS holds i_rwsem across both, but a store through a
// mapping still races a read. Nor is an O_DIRECT read (target raw) atomic
// against an O_DIRECT write of the same block. There a torn read is reported,
// not counted against the target.
func (c *Cell) TornIsFinding() bool { return c.Target == "model" || c.Target == "" }

// Run is one repetition of a cell.
type Run struct {
	Rep        int       `json:"rep"`
	Started    time.Time `json:"started"`
	DurationNs int64     `json:"duration_ns"`
	// Ops maps each job's key to its figures: the job's op (read, write, fault,
	// mkwrite, punch, truncate, zero, advise), or its name when another job of
	// the config runs the same op (config.Config.JobKey); OpStats.Op is the op.
	Ops       map[string]OpStats `json:"ops"`
	Intervals []Interval         `json:"intervals"`
	Locks     []LockStat         `json:"locks"`
	Verify    Verify             `json:"verify"`
	Fsck      Fsck               `json:"fsck"`
	// PeakRSSBytes is the process's peak resident set (VmHWM) over the run, from
	// prefill to the after-run check, with the high-water mark reset when the run
	// began; 0 (absent) where the kernel does not report it.
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// BufferPool is how the model's page buffer pool met the demand during the
	// measurement window; absent for the kernel and raw targets.
	BufferPool *BufferPool `json:"buffer_pool,omitempty"`
	// DirtyPauses are the writers' dirty-throttling sleeps over the measurement
	// window (balance_dirty_pages): the model's own, or the real kernel's from the
	// writeback:balance_dirty_pages tracepoint; absent where none were measured.
	DirtyPauses *Pauses `json:"dirty_pauses,omitempty"`
	// Conditions are what a real-filesystem target (xfs, ext4, btrfs) set on
	// the host for the run, one line each ("memory.limit_in_bytes=...",
	// "vm.dirty_bytes=... (was ...)"), and what it could not ("could not:
	// ..."); absent for the other targets.
	Conditions []string `json:"conditions,omitempty"`
	// NoLatency is true when the run counted ops without timing them (config
	// record: false): ops/s and the series are measured, the latencies are not.
	NoLatency bool `json:"no_latency,omitempty"`
	// Violations are the lock validator's distinct findings over the run (config
	// validate: true), each a report with stacks, at most MaxViolations of them
	// and then a line counting the others; empty when clean or not validated.
	Violations []string `json:"violations,omitempty"`
	// FirstError is the first failed operation of the measurement window (its
	// op, and the store, blocks, offset and errno of an I/O error); the counts
	// are each op's Errors. Empty when no operation failed.
	FirstError string `json:"first_error,omitempty"`
}

// BufferPool is the model's page buffer pool over a measurement window. The
// pool is bounded (the cache, a slack and two batches of 64 per task); a task
// that needs buffers at the bound waits up to 200µs for a grace period held
// up by another task, then takes loose buffers that the garbage collector
// frees. Waits delay the op that waited: the model's own cost in its latencies.
type BufferPool struct {
	Slabs     int   `json:"slabs"`     // slabs of 64 page buffers at the window's end
	Throttled int64 `json:"throttled"` // takes that waited at the bound
	Loose     int64 `json:"loose"`     // buffers allocated one by one at the bound
}

// Pauses summarizes a set of sleeps: how many, their total, and their p99 and
// maximum, in nanoseconds.
type Pauses struct {
	Count   int64 `json:"count"`
	TotalNs int64 `json:"total_ns"`
	P99Ns   int64 `json:"p99_ns"`
	MaxNs   int64 `json:"max_ns"`
}

// MaxViolations is the most validator findings a run keeps.
const MaxViolations = 20

// OpStats are the measured figures of one op over one run's measurement window.
type OpStats struct {
	// Op is the job's op when the key is the job's name (absent when the key is
	// the op): see OpOf.
	Op     string `json:"op,omitempty"`
	Count  int64  `json:"count"`
	Bytes  int64  `json:"bytes"`
	Errors int64  `json:"errors,omitempty"`
	// Stalled is true when the job's threads completed no operation in the
	// window (not even a failed one): the job did not run, its figures say nothing.
	Stalled     bool    `json:"stalled,omitempty"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	BytesPerSec float64 `json:"bytes_per_sec"`
	LatencyNs   Latency `json:"latency_ns"`
}

// OpOf returns the op of the job whose figures s are under key in Run.Ops.
func OpOf(key string, s OpStats) string {
	if s.Op != "" {
		return s.Op
	}
	return key
}

// FindingsOf returns the stale and foreign findings of the job under key in
// r.Ops: its own (Verify.ByJob), or its op's path's (Verify.ByOp), and whether
// the run attributes findings at all.
func (r *Run) FindingsOf(key string) (Findings, bool) {
	switch v := &r.Verify; {
	case v.ByJob != nil:
		return v.ByJob[key], true
	case v.ByOp != nil:
		return v.ByOp[OpOf(key, r.Ops[key])], true
	}
	return Findings{}, false
}

// Latency is a latency distribution in nanoseconds.
type Latency struct {
	Min    float64 `json:"min"`
	Mean   float64 `json:"mean"`
	Max    float64 `json:"max"`
	Stddev float64 `json:"stddev"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	P9999  float64 `json:"p9999"`
}

// Interval is one second (or the configured interval) of the measurement window.
type Interval struct {
	// StartNs is the interval's start, relative to the measurement start.
	StartNs int64 `json:"start_ns"`
	// Ops maps a job's key (as Run.Ops) to the ops completed in the interval.
	Ops map[string]int64 `json:"ops"`
	// RSSBytes is the largest resident set of the process sampled in the
	// interval (every 100ms at most, from /proc/self/statm); 0 (absent) where
	// the kernel does not say.
	RSSBytes int64 `json:"rss_bytes,omitempty"`
}

// LockStat is the use of one lock class at one call site during the measurement window.
type LockStat struct {
	Lock         string `json:"lock"`
	Site         string `json:"site"`
	Mode         string `json:"mode"` // "shared" or "exclusive"
	Acquisitions int64  `json:"acquisitions"`
	Contended    int64  `json:"contended"`
	WaitNs       int64  `json:"wait_ns"`
	HoldNs       int64  `json:"hold_ns"`
	// WaitHist and HoldHist are the timed waits and holds (config lock_stats)
	// in log2 buckets of nanoseconds: bucket 0 counts 0 ns, bucket i > 0 counts
	// [2^(i-1), 2^i) ns (the last bucket also everything longer); trailing
	// empty buckets are left out. Only contended acquisitions are timed
	// waits, so Acquisitions minus the sum of WaitHist waited 0 ns. Absent in
	// files written before they were added, and without lock_stats.
	WaitHist []int64 `json:"wait_hist,omitempty"`
	HoldHist []int64 `json:"hold_hist,omitempty"`
}

// HistBuckets is the number of buckets of a lock histogram: the last (from
// about 17 s) also counts everything longer.
const HistBuckets = 36

// HistBucket is the bucket of a lock histogram that a duration of ns
// nanoseconds falls in (see LockStat.WaitHist).
func HistBucket(ns int64) int {
	if ns <= 0 {
		return 0
	}
	return min(bits.Len64(uint64(ns)), HistBuckets-1)
}

// HistLowerBounds returns the lower bounds in nanoseconds of the first n buckets
// of a lock histogram: 0, 1, 2, 4, ... (bucket 0 counts 0 ns, bucket i > 0
// [2^(i-1), 2^i)); nil for n = 0.
func HistLowerBounds(n int) []int64 {
	if n == 0 {
		return nil
	}
	out := make([]int64, n)
	for i := 1; i < n; i++ {
		out[i] = int64(HistBound(i - 1))
		if i == 1 {
			out[i] = 1
		}
	}
	return out
}

// HistBound is the upper bound in nanoseconds of bucket i of a lock histogram.
func HistBound(i int) float64 {
	if i <= 0 {
		return 0
	}
	return float64(uint64(1) << min(i, 62))
}

// HistQuantile returns the q-quantile (0 < q <= 1) of n values of which the
// histogram h holds the nonzero ones (n minus their count are zeros), as the
// upper bound of the bucket it falls in; 0 when n is 0.
func HistQuantile(h []int64, n int64, q float64) float64 {
	var inHist int64
	for _, c := range h {
		inHist += c
	}
	n = max(n, inHist)
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	seen := n - inHist // the zeros not in the histogram
	if rank <= seen {
		return 0
	}
	for i, c := range h {
		if seen += c; rank <= seen {
			return HistBound(i)
		}
	}
	return HistBound(len(h) - 1)
}

// AddHist adds b into a, element by element, growing a as needed (sign -1
// subtracts), and returns a with trailing zeros trimmed.
func AddHist(a, b []int64, sign int64) []int64 {
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for i, v := range b {
		a[i] += sign * v
	}
	for len(a) > 0 && a[len(a)-1] == 0 {
		a = a[:len(a)-1]
	}
	return a
}

// Verify holds the oracle's findings over the run.
type Verify struct {
	Checked int64 `json:"checked"` // pages verified
	Stale   int64 `json:"stale"`
	Foreign int64 `json:"foreign"`
	Corrupt int64 `json:"corrupt"`
	// Torn counts pages read that were no version of the page while a
	// mutation of it overlapped the read (see TornIsFinding).
	Torn int64 `json:"torn"`
	// ByOp counts stale, foreign and torn findings by the op (path) that returned the data.
	ByOp map[string]Findings `json:"by_op,omitempty"`
	// ByJob counts them by the job (its key in Run.Ops) whose worker found them,
	// when some job's key is its name; nil otherwise, as ByOp says the same.
	ByJob map[string]Findings `json:"by_job,omitempty"`
	// Examples holds the first few findings, for a human to read.
	Examples []string `json:"examples,omitempty"`
}

// Wrong counts what a safe strategy of the model must never return or leave
// behind: stale, foreign, torn and corrupt pages.
func (v *Verify) Wrong() int64 { return v.Stale + v.Foreign + v.Torn + v.Corrupt }

// Findings counts the findings of one path.
type Findings struct {
	Stale   int64 `json:"stale"`
	Foreign int64 `json:"foreign"`
	Torn    int64 `json:"torn"`
}

// Fsck is the result of the after-run check: write back, drop the cache, check every
// block map and every block's content against the oracle's final state.
type Fsck struct {
	Ok bool `json:"ok"`
	// Errors are the check's findings: block maps and content that are wrong.
	Errors []string `json:"errors,omitempty"`
	// IOErrors are reads and writebacks of the check that failed: not findings
	// about the data, but the check could not look at all of it.
	IOErrors []string `json:"io_errors,omitempty"`
	// NotRun is true when the check did not run (or did not finish): the run was
	// interrupted first. Ok says nothing then.
	NotRun bool `json:"not_run,omitempty"`
}

// Summary summarizes a cell over its runs.
type Summary struct {
	Ops map[string]OpSummary `json:"ops"`
}

// OpSummary is the summary of one op over the runs of a cell.
type OpSummary struct {
	OpsPerSec Estimate `json:"ops_per_sec"`
	P99Ns     Estimate `json:"p99_ns"`
}

// Estimate is a median with its confidence interval (golang.org/x/perf/benchmath).
//
// JSON has no infinities, so when there are too few runs for a finite interval at
// the requested confidence (benchmath then gives ±∞), Unbounded is set, Lo and Hi
// are the sample's minimum and maximum and Confidence is the level of that range,
// which is lower than the one requested. Readers show such an interval as ±∞.
type Estimate struct {
	Median     float64 `json:"median"`
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"`
	N          int     `json:"n"`
	// Unbounded is true when the interval at the requested confidence is infinite.
	Unbounded bool `json:"unbounded,omitempty"`
	// Stddev is the sample standard deviation of the values (n-1 denominator); 0 when N < 2.
	Stddev float64 `json:"stddev,omitempty"`
	// Warnings are benchmath's warnings about the estimate, for a human to read.
	Warnings []string `json:"warnings,omitempty"`
}
