package vfs

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// The lock validator, after the kernel's lockdep. With Options.Validate every
// blocking acquisition is checked three ways against the locks the task holds:
//
//   - rank: the class must rank below every class held (the order of the
//     package doc); page locks may nest among themselves (in index order, by
//     design);
//   - recursion: no class may be taken while the task holds a lock of the same
//     class (page locks excepted). Even a shared acquisition of a lock the task
//     holds shared deadlocks as soon as a writer queues between the two, since
//     a reader queues behind a waiting writer (RWSem);
//   - the class graph: each acquisition of class B while holding class A adds
//     the edge A -> B to the filesystem's graph, with the stacks where A was
//     taken and where B was, the first time the edge is seen. An edge that
//     closes a cycle is an inversion that some interleaving of the tasks that
//     took the edges turns into a deadlock, whether or not it happened: it is
//     reported with the stacks of every edge of the cycle.
//
// An acquisition that has to wait is checked before it waits (see before), so
// the report of a deadlock comes out even when the wait never ends.
//
// A trylock adds no edge (it cannot wait), but a lock taken by trylock is held
// like any other, so what is taken under it is checked. Each distinct finding
// is reported once (FS.violation).
//
// As in lockdep, an acquisition is validated once per context: the classes,
// sites and modes of the locks held (runs of one kind, like the page locks of
// a readahead window, count once) and of the lock taken. The first time a task
// meets a context it records the stack and validates; afterwards it reuses that
// stack and skips the checks, whose outcome cannot differ. So a reported stack
// is the first one seen in its context, which may be another path to the same
// sites.
//
// Off, the validator costs nothing beyond the test of Task.tracking that lock
// timing needs anyway: the held list, the stacks and the graph are only kept
// when validating.

// lockGraph is a filesystem's lock-class graph.
type lockGraph struct {
	// known says an edge is in the graph, so the common case (an edge seen
	// before) takes no lock.
	known [numClasses][numClasses]atomic.Bool
	mu    sync.Mutex
	edges [numClasses][numClasses]*lockEdge // guarded by mu
}

// lockEdge is the first acquisition of class to.class seen while holding
// from.class (the lock itself is not kept: it may be a page long gone).
type lockEdge struct {
	from, to held
}

// checkAcquire validates the acquisition h (a blocking one if check, else a
// trylock) once per context, and gives h the stack of the context's first
// acquisition.
func (t *Task) checkAcquire(h *held, check bool) {
	key := t.context(h, check)
	if st, ok := t.contexts[key]; ok {
		h.stack = st
		return
	}
	h.stack = callers(3) // the caller of acquired or of a trylock
	if check {
		t.validate(*h)
	}
	if t.contexts == nil {
		t.contexts = map[uint64][]uintptr{}
	}
	t.contexts[key] = h.stack
}

// context hashes what validate's outcome depends on: the held locks' classes,
// sites and modes (a run of equal ones once), whether one of them is h's lock
// itself, and h's class, site, mode and kind.
func (t *Task) context(h *held, check bool) uint64 {
	const prime = 1099511628211
	k := uint64(14695981039346656037)
	mix := func(c LockClass, s Site, m Mode) {
		k = (k ^ (uint64(c) | uint64(s)<<8 | uint64(m)<<16)) * prime
	}
	same := false
	for i := range t.held {
		o := &t.held[i]
		same = same || o.lock == h.lock
		if i > 0 {
			if p := &t.held[i-1]; p.class == o.class && p.site == o.site && p.mode == o.mode {
				continue
			}
		}
		mix(o.class, o.site, o.mode)
	}
	k = (k ^ 1<<24) * prime // the lock taken
	mix(h.class, h.site, h.mode)
	if check {
		k = (k ^ 1<<25) * prime
	}
	if same {
		k = (k ^ 1<<26) * prime
	}
	return k
}

// validate checks the blocking acquisition h against the task's held locks.
func (t *Task) validate(h held) {
	fs := t.fs
	for i := range t.held {
		o := &t.held[i]
		if o.class == h.class {
			if h.class != ClassPage {
				fs.reportRecursive(o, &h)
			}
			continue
		}
		if rank[o.class] > rank[h.class] {
			fs.reportOrder(o, &h)
		}
		if !fs.graph.known[o.class][h.class].Load() {
			fs.addEdge(o, &h)
		}
	}
}

// CheckWait validates a wait for a lock of class c that the task will not
// hold afterwards (a strategy waiting for lock entries to go, say): a blocking
// acquisition for the lock order, then an immediate release. Without
// validation it does nothing.
func (t *Task) CheckWait(l any, c LockClass, site Site, m Mode) {
	if !t.validating {
		return
	}
	h := held{lock: l, class: c, site: site, mode: m}
	t.checkAcquire(&h, true)
}

// addEdge adds o.class -> h.class to the graph if it is new, and reports the
// cycle it closes, if any.
func (fs *FS) addEdge(o, h *held) {
	g := &fs.graph
	g.mu.Lock()
	if g.edges[o.class][h.class] != nil {
		g.mu.Unlock()
		return
	}
	e := &lockEdge{from: *o, to: *h}
	e.from.lock, e.to.lock = nil, nil
	g.edges[o.class][h.class] = e
	g.known[o.class][h.class].Store(true)
	back := g.path(h.class, o.class)
	g.mu.Unlock()
	if back != nil {
		fs.reportCycle(append([]*lockEdge{e}, back...))
	}
}

// path returns the edges of a shortest path from class a to class b, or nil.
// The caller holds g.mu.
func (g *lockGraph) path(a, b LockClass) []*lockEdge {
	var via [numClasses]*lockEdge
	var seen [numClasses]bool
	seen[a] = true
	queue := []LockClass{a}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for n := LockClass(0); n < numClasses; n++ {
			e := g.edges[c][n]
			if e == nil || seen[n] {
				continue
			}
			seen[n], via[n] = true, e
			if n == b {
				var p []*lockEdge
				for x := b; x != a; x = via[x].from.class {
					p = append([]*lockEdge{via[x]}, p...)
				}
				return p
			}
			queue = append(queue, n)
		}
	}
	return nil
}

// desc is "i_mmap_sem (shared) taken at read_entry".
func (fs *FS) desc(h *held) string {
	return fmt.Sprintf("%s (%s) taken at %s", fs.className(h.class), h.mode, h.site)
}

func (fs *FS) reportRecursive(o, h *held) {
	same := o.lock == h.lock
	key := fmt.Sprintf("recursive %d %d %d %d %d %v", h.class, o.site, o.mode, h.site, h.mode, same)
	fs.violation(key, func() string {
		what := "another lock of the same class"
		if same {
			what = "the same lock"
		}
		return fmt.Sprintf("recursive acquisition: %s (%s) taken at %s while holding %s (%s)\n"+
			"a shared acquisition waits behind a queued exclusive one, so this deadlocks as soon as one queues between the two\n"+
			"acquired here:%s\nheld since:%s",
			fs.className(h.class), h.mode, h.site, fs.desc(o), what, formatStack(h.stack), formatStack(o.stack))
	})
}

func (fs *FS) reportOrder(o, h *held) {
	key := fmt.Sprintf("order %d %d %d %d %d %d", o.class, o.site, o.mode, h.class, h.site, h.mode)
	fs.violation(key, func() string {
		return fmt.Sprintf("lock order violation: %s (%s) taken at %s while holding %s\nacquired here:%s\nheld since:%s",
			fs.className(h.class), h.mode, h.site, fs.desc(o), formatStack(h.stack), formatStack(o.stack))
	})
}

// reportCycle reports a cycle of the class graph: cycle[0] is the edge just
// added, the others lead from its head back to its tail.
func (fs *FS) reportCycle(cycle []*lockEdge) {
	names := make([]string, len(cycle))
	for i, e := range cycle {
		names[i] = fmt.Sprintf("%d>%d", e.from.class, e.to.class)
	}
	sort.Strings(names)
	fs.violation("cycle "+strings.Join(names, " "), func() string {
		var b strings.Builder
		first := cycle[0]
		chain := fs.className(first.from.class)
		for _, e := range cycle {
			chain += " -> " + fs.className(e.to.class)
		}
		fmt.Fprintf(&b, "lock inversion: %s while holding %s closes the cycle %s in the lock-class graph; "+
			"tasks taking these edges concurrently can deadlock\n",
			fs.desc(&first.to), fs.desc(&first.from), chain)
		for i, e := range cycle {
			when := "this acquisition"
			if i > 0 {
				when = "first seen"
			}
			fmt.Fprintf(&b, "edge %s -> %s (%s): %s while holding %s\n  acquired here:%s\n  held since:%s\n",
				fs.className(e.from.class), fs.className(e.to.class), when, fs.desc(&e.to), fs.desc(&e.from),
				indent(formatStack(e.to.stack)), indent(formatStack(e.from.stack)))
		}
		return strings.TrimSuffix(b.String(), "\n")
	})
}

func indent(s string) string { return strings.ReplaceAll(s, "\n\t", "\n\t\t") }
