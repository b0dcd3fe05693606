package ktrace

import (
	"strconv"
	"strings"
	"testing"
)

// ev formats an event line as tracefs prints it with record-tgid.
func ev(tid, tgid int, ts, event, rest string) string {
	return strings.Join([]string{"  t-" + itoa(tid), "(" + itoa(tgid) + ")", "[000]", "....", ts + ":", event + ":", rest}, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPairing checks begin/end pairing per thread and lock, the stack of
// each begin, the tgid filter, waits still open at the end and the class of a
// punch's lock from another contention on the same address.
func TestPairing(t *testing.T) {
	stack := func(tid int, ts string, frames ...string) string {
		s := "  t-" + itoa(tid) + " (1) [000] .... " + ts + ": <stack trace>"
		for _, f := range frames {
			s += "\n => " + f
		}
		return s
	}
	trace := strings.Join([]string{
		"# tgid=1",
		// thread 2 waits 10µs for i_rwsem (address a) in a write
		ev(2, 1, "1.000000", evBegin, "a (flags=WRITE)"),
		stack(2, "1.000001", "trace_event_raw_event_contention_begin", "rwsem_down_write_slowpath", "down_write", "xfs_ilock", "xfs_file_buffered_write"),
		// thread 3 waits on address a in a punch: i_rwsem by the address; inside, its wait_lock spins (nested, address s)
		ev(3, 1, "1.000002", evBegin, "a (flags=WRITE)"),
		stack(3, "1.000002", "rwsem_down_write_slowpath", "down_write", "xfs_ilock", "__xfs_file_fallocate"),
		ev(3, 1, "1.000003", evBegin, "s (flags=SPIN)"),
		ev(2, 1, "1.000010", evEnd, "a (ret=0)"),
		ev(3, 1, "1.000004", evEnd, "s (ret=0)"),
		ev(3, 1, "1.000020", evEnd, "a (ret=0)"),
		// thread 4 waits on address b in a punch: no other contention names b
		ev(4, 1, "1.000030", evBegin, "b (flags=WRITE)"),
		stack(4, "1.000030", "down_write", "xfs_ilock", "__xfs_file_fallocate"),
		ev(4, 1, "1.000040", evEnd, "b (ret=0)"),
		// thread 10 waits on address f from a first begin to its end: the
		// kernel traced a second begin meanwhile, with the stack
		ev(10, 1, "1.000045", evBegin, "f (flags=WRITE)"),
		ev(10, 1, "1.000050", evBegin, "f (flags=WRITE)"),
		stack(10, "1.000050", "rwsem_down_write_slowpath", "down_write", "xfs_ilock", "xfs_file_buffered_write"),
		ev(10, 1, "1.000085", evEnd, "f (ret=0)"),
		// another process: left out
		ev(5, 9, "1.000050", evBegin, "a (flags=READ)"),
		ev(5, 9, "1.000060", evEnd, "a (ret=0)"),
		// an end whose begin came before the window: left out
		ev(6, 1, "1.000070", evEnd, "c (ret=0)"),
		// a fault still waiting when the window ends, at 1.000100
		ev(7, 1, "1.000080", evBegin, "d (flags=READ)"),
		stack(7, "1.000080", "down_read", "filemap_fault"),
		ev(8, 1, "1.000100", "balance_dirty_pages", "bdi 7:0: paused=0 pause=12 period=12 think=0"),
		ev(8, 1, "1.000100", "balance_dirty_pages", "bdi 7:0: paused=0 pause=-4 period=0 think=4"),
		"  t-9 (1) [000] .... 1.000100: contention_begin: broken",
		// a line whose tgid the kernel did not record: left out
		"  t-2 (-------) [000] .... 1.000100: contention_begin: e (flags=READ)",
	}, "\n")
	r, err := Parse(strings.NewReader(trace), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"lock i_rwsem site punch mode exclusive: acquisitions 0 contended 1 wait 18000ns hist 15:1",
		"lock i_rwsem site write mode exclusive: acquisitions 0 contended 2 wait 50000ns hist 14:1 16:1",
		"lock i_rwsem|invalidate_lock site punch mode exclusive: acquisitions 0 contended 1 wait 10000ns hist 14:1",
		"lock invalidate_lock site fault_create mode shared: acquisitions 0 contended 1 wait 20000ns hist 15:1",
		"lock other site (no stack) mode exclusive: acquisitions 0 contended 1 wait 1000ns hist 10:1",
		"dirty pauses: count 1 total 12000000ns p99 12000000ns max 12000000ns",
		`unavailable: 1 trace lines did not parse and were left out (the first: bad contention_begin "broken")`,
		"unavailable: 1 waits had not ended when tracing stopped: counted up to the last event",
		"unavailable: 1 events without the process id of their thread (the kernel's saved_tgids map was full) were left out",
		"",
	}, "\n")
	if got := reportText(r); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}
