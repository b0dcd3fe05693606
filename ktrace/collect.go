package ktrace

import (
	"strings"
)

// wait is one contention of one thread: from contention_begin to the
// contention_end of the same lock on the same thread.
type wait struct {
	addr    string   // the lock's address as the trace prints it (hashed unless hash-ptr is off)
	flags   []string // contention_begin's flag names (READ, WRITE, SPIN, MUTEX, ...)
	frames  []string // the kernel stack at contention_begin, innermost first; nil when none was recorded
	beginNs int64
	endNs   int64
}

// thread is what the collector knows of one thread of the traced process.
type thread struct {
	open []*wait // begun and not yet ended, oldest first (a rwsem's wait_lock may contend inside a rwsem wait)
	// stackOf is the wait whose stack the thread's next "<stack trace>" event
	// is: the stacktrace trigger records it right after contention_begin, on
	// the same CPU, so no other event of the thread comes between.
	stackOf *wait
}

// waitingFor is the thread's open wait for the lock at addr, or nil.
func (th *thread) waitingFor(addr string) *wait {
	for _, w := range th.open {
		if w.addr == addr {
			return w
		}
	}
	return nil
}

// collector turns trace text, one line at a time, into the traced process's
// contentions and dirty-throttling pauses. It keeps only lines of threads of
// tgid (all lines when tgid is 0).
type collector struct {
	tgid    int
	threads map[int]*thread
	waits   []*wait
	pauses  []int64             // the writers' sleeps in balance_dirty_pages, ns (pause > 0 only)
	lastNs  int64               // the latest timestamp of a kept line
	frames  *wait               // the wait whose " => frame" lines are being read; nil outside a kept stack
	stacks  map[string][]string // every distinct stack once, so that a long window holds each once

	bad      int    // lines that did not parse
	firstBad string // the first of them, with why
	noTGID   int    // lines whose tgid the kernel did not record (saved_tgids full)
	orphans  int    // contention_end without its begin (begun before the window)
	open     int    // waits still open when the trace ended
}

func newCollector(tgid int) *collector {
	return &collector{tgid: tgid, threads: map[int]*thread{}, stacks: map[string][]string{}}
}

// add takes one line of trace text, without its newline.
func (c *collector) add(s string) {
	t := strings.TrimSpace(s)
	if t == "" || t[0] == '#' {
		return
	}
	if f, ok := strings.CutPrefix(t, "=>"); ok {
		if c.frames != nil {
			c.frames.frames = append(c.frames.frames, frameName(f))
		}
		return
	}
	c.endStack()
	l, err := parseLine(s)
	if err != nil {
		if c.bad == 0 {
			c.firstBad = err.Error()
		}
		c.bad++
		return
	}
	// A line whose tgid the kernel could not print is left out even when
	// set_event_pid filtered the process's threads: traced rwbench runs on
	// XFS showed such lines opening waits that never ended.
	if l.tgid < 0 {
		c.noTGID++
		return
	}
	if c.tgid != 0 && l.tgid != c.tgid {
		return
	}
	c.lastNs = max(c.lastNs, l.ns)
	th := c.threads[l.tid]
	if th == nil {
		th = &thread{}
		c.threads[l.tid] = th
	}
	switch l.event {
	case evBegin:
		addr, flags, err := parseBegin(l.rest)
		if err != nil {
			c.badLine(err)
			return
		}
		// A second begin on a lock the thread already waits for is the same
		// wait going on: a thread cannot wait twice for one lock, and traces
		// of i_rwsem writes on Linux 6.18 show up to three begins on one
		// address before its one end. It ends at that end, and takes the
		// later begin's stack if it has none. Counted as a new wait, the
		// first stayed open to the end of the window: seconds of wait that
		// never happened.
		w := th.waitingFor(addr)
		if w == nil {
			w = &wait{addr: addr, flags: flags, beginNs: l.ns}
			th.open = append(th.open, w)
		}
		th.stackOf = nil
		if w.frames == nil {
			th.stackOf = w
		}
	case evStack:
		if w := th.stackOf; w != nil {
			c.frames = w
			w.frames = []string{}
		}
		th.stackOf = nil
	case evEnd:
		th.stackOf = nil // with options/stacktrace, the end's own stack follows: not the begin's
		addr, err := parseEnd(l.rest)
		if err != nil {
			c.badLine(err)
			return
		}
		for i := len(th.open) - 1; i >= 0; i-- {
			if w := th.open[i]; w.addr == addr {
				w.endNs = max(l.ns, w.beginNs)
				c.waits = append(c.waits, w)
				th.open = append(th.open[:i], th.open[i+1:]...)
				return
			}
		}
		c.orphans++
	case evPause:
		th.stackOf = nil
		ns, err := parsePause(l.rest)
		if err != nil {
			c.badLine(err)
			return
		}
		if ns > 0 {
			c.pauses = append(c.pauses, ns)
		}
	default:
		th.stackOf = nil
	}
}

// endStack ends the stack being read, sharing its frames with the waits of
// the same stack.
func (c *collector) endStack() {
	if w := c.frames; w != nil {
		k := strings.Join(w.frames, " ")
		if f, ok := c.stacks[k]; ok {
			w.frames = f
		} else {
			c.stacks[k] = w.frames
		}
		c.frames = nil
	}
}

func (c *collector) badLine(err error) {
	if c.bad == 0 {
		c.firstBad = err.Error()
	}
	c.bad++
}

// finish ends the waits still open at the end of the window at the last
// timestamp seen (a lower bound of how long they waited) and returns all the
// waits in the order they ended.
func (c *collector) finish() []*wait {
	c.endStack()
	for _, th := range c.threads {
		for _, w := range th.open {
			w.endNs = max(c.lastNs, w.beginNs)
			c.waits = append(c.waits, w)
			c.open++
		}
		th.open = nil
	}
	return c.waits
}

// frameName is a stack line's function name: "xfs_ilock+0x8c/0x1a0 [xfs]"
// (sym-offset on, xfs a module) is "xfs_ilock"; compiler clones
// ("__xfs_file_fallocate.constprop.0", ".isra.0", ".part.0", ".cold") keep
// their function's name.
func frameName(f string) string {
	f = strings.TrimSpace(f)
	if i := strings.IndexAny(f, " +"); i >= 0 {
		f = f[:i]
	}
	if i := strings.IndexByte(f, '.'); i > 0 {
		f = f[:i]
	}
	return f
}
