package ktrace

import (
	"fmt"
	"strconv"
	"strings"
)

// Event kinds, as the trace text names them.
const (
	evBegin = "contention_begin"
	evEnd   = "contention_end"
	evPause = "balance_dirty_pages"
	evStack = "<stack trace>"
)

// line is one event line of the trace text (not a " => frame" line), in the
// format tracefs prints with the record-tgid option:
//
//	fio-7414    (   7414) [000] ...1.   316.181711: contention_begin: 00000000b34b7b5b (flags=READ)
//
// The comm may hold spaces and dashes; the tgid is "-------" when the kernel
// did not record it; the irq-flags column is absent with some options.
type line struct {
	tid, tgid int // tgid -1: not recorded
	ns        int64
	event     string
	rest      string
}

// parseLine parses an event line. The timestamp keeps every digit the clock
// printed (microseconds with the default clocks).
func parseLine(s string) (line, error) {
	var l line
	// Parse from the right: the comm (a thread's name) may hold anything.
	// The event's text follows the first ": " after a timestamp.
	var head, tail string
	var fields []string
	var err error
	for from := 0; ; {
		i := strings.Index(s[from:], ": ")
		if i < 0 {
			return l, fmt.Errorf("no timestamp in %q", s)
		}
		head, tail = s[:from+i], s[from+i+2:]
		fields = strings.Fields(head)
		if len(fields) >= 3 {
			if l.ns, err = parseTimestamp(fields[len(fields)-1]); err == nil {
				break
			}
		}
		from += i + 2
	}
	// Find the "[cpu]" field, then the "(tgid)" before it and the comm-tid before that.
	cpu := -1
	for i := len(fields) - 2; i >= 0; i-- {
		if f := fields[i]; strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			cpu = i
			break
		}
	}
	if cpu < 1 {
		return l, fmt.Errorf("no [cpu] column in %q", s)
	}
	// The tgid column is "(   7414)", which Fields may split as "(", "7414)".
	before := strings.Join(fields[:cpu], " ")
	open := strings.LastIndex(before, "(")
	if open < 0 || !strings.HasSuffix(before, ")") {
		return l, fmt.Errorf("no (tgid) column in %q: record-tgid is off", s)
	}
	tg := strings.TrimSpace(before[open+1 : len(before)-1])
	if strings.Trim(tg, "-") == "" {
		l.tgid = -1
	} else if l.tgid, err = strconv.Atoi(tg); err != nil || l.tgid < 0 {
		return l, fmt.Errorf("bad tgid %q in %q", tg, s)
	}
	task := strings.TrimSpace(before[:open])
	dash := strings.LastIndexByte(task, '-')
	if dash < 0 {
		return l, fmt.Errorf("no task-pid in %q", s)
	}
	if l.tid, err = strconv.Atoi(task[dash+1:]); err != nil || l.tid < 0 {
		return l, fmt.Errorf("bad pid in %q", s)
	}
	if tail == evStack {
		l.event = evStack
		return l, nil
	}
	ev, rest, ok := strings.Cut(tail, ":")
	if !ok {
		return l, fmt.Errorf("no event name in %q", s)
	}
	l.event, l.rest = ev, strings.TrimSpace(rest)
	return l, nil
}

// parseTimestamp parses "316.181711" (seconds, then the clock's fraction) into
// nanoseconds.
func parseTimestamp(ts string) (int64, error) {
	sec, frac, ok := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 || s > 1<<32 {
		return 0, fmt.Errorf("bad timestamp %q", ts)
	}
	ns := s * 1e9
	if ok {
		if len(frac) == 0 || len(frac) > 9 {
			return 0, fmt.Errorf("bad timestamp %q", ts)
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("bad timestamp %q", ts)
		}
		for range 9 - len(frac) {
			f *= 10
		}
		ns += f
	}
	return ns, nil
}

// Flag bits of contention_begin (include/trace/events/lock.h, LCB_F_*): the
// text shows them by name.
const (
	flagSpin  = "SPIN"
	flagRead  = "READ"
	flagWrite = "WRITE"
)

// parseBegin parses a contention_begin's "00000000b34b7b5b (flags=READ)": the
// lock's (hashed) address and its flag names.
func parseBegin(rest string) (addr string, flags []string, err error) {
	addr, f, ok := strings.Cut(rest, " (flags=")
	if !ok || !strings.HasSuffix(f, ")") || addr == "" {
		return "", nil, fmt.Errorf("bad contention_begin %q", rest)
	}
	f = strings.TrimSuffix(f, ")")
	if f != "" {
		flags = strings.Split(f, "|")
	}
	return addr, flags, nil
}

// parseEnd parses a contention_end's "00000000b34b7b5b (ret=0)".
func parseEnd(rest string) (addr string, err error) {
	addr, r, ok := strings.Cut(rest, " (ret=")
	if !ok || !strings.HasSuffix(r, ")") || addr == "" {
		return "", fmt.Errorf("bad contention_end %q", rest)
	}
	return addr, nil
}

// parsePause returns the pause field of a balance_dirty_pages line in
// nanoseconds. The tracepoint stores it as pause * 1000 / HZ
// (include/trace/events/writeback.h), milliseconds whatever HZ, and as at most
// 0 when the writer did not sleep (it had thought long enough: think). A
// writer's first throttle measures its period from a dirty_paused_when of 0,
// so the pause it traces without sleeping can be any negative number (seen:
// -17183016564): every negative pause is 0.
func parsePause(rest string) (int64, error) {
	for f := range strings.FieldsSeq(rest) {
		if v, ok := strings.CutPrefix(f, "pause="); ok {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms > 1<<31 {
				return 0, fmt.Errorf("bad pause %q", v)
			}
			return max(ms, 0) * 1e6, nil
		}
	}
	return 0, fmt.Errorf("no pause= in %q", rest)
}
