package ktrace

import (
	"strings"
	"testing"

	"github.com/rwbench/rwbench/vfs"
)

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		in         string
		tid, tgid  int
		ns         int64
		event, err string
	}{
		{in: "             fio-7414    (   7414) [000] ...1.   316.181711: contention_begin: 00000000b34b7b5b (flags=READ)",
			tid: 7414, tgid: 7414, ns: 316181711000, event: evBegin},
		{in: "     kworker/1:1-43      (     43) [001] d..2.   316.150290: <stack trace>", tid: 43, tgid: 43, ns: 316150290000, event: evStack},
		{in: "  my-comm: x-y-12 (  10) [003] ....  5.000000001: contention_end: 00000000b34b7b5b (ret=0)", tid: 12, tgid: 10, ns: 5000000001, event: evEnd},
		{in: "           <...>-99      (-------) [000] .....   1.5: contention_end: 01 (ret=0)", tid: 99, tgid: -1, ns: 1500000000, event: evEnd},
		{in: "  fio-7414 [000] ...1.   316.181711: contention_begin: 0 (flags=READ)", err: "no (tgid) column"},
		{in: "  fio-7414 (7414) [000] ...1.   x.1: contention_begin: 0", err: "no timestamp"},
		{in: "  fio (7414) [000] ...1.   1.1: contention_begin: 0", err: "no task-pid"},
		{in: "garbage", err: "no timestamp"},
	} {
		l, err := parseLine(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseLine(%q) error %v, want one containing %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || l.tid != c.tid || l.tgid != c.tgid || l.ns != c.ns || l.event != c.event {
			t.Errorf("parseLine(%q) = %+v, %v; want tid %d tgid %d ns %d event %s", c.in, l, err, c.tid, c.tgid, c.ns, c.event)
		}
	}
}

func TestParseFields(t *testing.T) {
	addr, flags, err := parseBegin("00000000dc60b15e (flags=SPIN|WRITE)")
	if err != nil || addr != "00000000dc60b15e" || strings.Join(flags, ",") != "SPIN,WRITE" {
		t.Errorf("parseBegin = %q %q %v", addr, flags, err)
	}
	if _, _, err := parseBegin("00000000dc60b15e"); err == nil {
		t.Error("parseBegin without flags: no error")
	}
	if addr, err := parseEnd("0000000001 (ret=-4)"); err != nil || addr != "0000000001" {
		t.Errorf("parseEnd = %q %v", addr, err)
	}
	// pause is in milliseconds (pause * 1000 / HZ); at most 0 means no sleep.
	for in, want := range map[string]int64{
		"bdi 7:0: limit=4096 dirtied=32 paused=0 pause=8 period=8 think=0": 8e6,
		"bdi 7:0: paused=0 pause=-8 period=0 think=8":                      0,
		"bdi 7:0: paused=0 pause=-17183016564 period=0 think=0":            0,
	} {
		if got, err := parsePause(in); err != nil || got != want {
			t.Errorf("parsePause(%q) = %d %v, want %d", in, got, err, want)
		}
	}
	if _, err := parsePause("bdi 7:0: paused=0"); err == nil {
		t.Error("parsePause without pause=: no error")
	}
}

// TestClassNames holds the lock names equal to the model's.
func TestClassNames(t *testing.T) {
	for got, want := range map[string]string{
		lockIRwsem: vfs.ClassIRwsem.String(),
		lockInval:  vfs.ClassInval.String(),
		lockMmap:   vfs.ClassMmapLock.String(),
	} {
		if got != want {
			t.Errorf("lock class %q, the model calls it %q", got, want)
		}
	}
}

func TestAttribute(t *testing.T) {
	tr := []string{"trace_event_raw_event_contention_begin"}
	read := []string{"rwsem_down_read_slowpath", "down_read"}
	write := []string{"rwsem_down_write_slowpath", "down_write"}
	stack := func(parts ...[]string) []string {
		var s []string
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	for _, c := range []struct {
		name             string
		frames, flags    []string
		lock, site, mode string
	}{
		{"xfs read", stack(tr, read, []string{"xfs_ilock", "xfs_file_buffered_read", "xfs_file_read_iter", "vfs_read"}), []string{"READ"},
			"i_rwsem", "read_entry", "shared"},
		{"xfs write", stack(tr, write, []string{"xfs_ilock", "xfs_file_buffered_write", "vfs_write"}), []string{"WRITE"},
			"i_rwsem", "write", "exclusive"},
		{"xfs punch", stack(tr, write, []string{"xfs_ilock", "__xfs_file_fallocate", "vfs_fallocate"}), []string{"WRITE"},
			lockIOOrInval, "punch", "exclusive"},
		{"xfs ILOCK", stack(tr, read, []string{"xfs_ilock", "xfs_ilock_data_map_shared", "xfs_read_iomap_begin", "iomap_iter"}), []string{"READ"},
			"other", "xfs_ilock<-xfs_ilock_data_map_shared", "shared"},
		{"ext4 write", stack(tr, write, []string{"ext4_buffered_write_iter", "vfs_write"}), []string{"WRITE"}, "i_rwsem", "write", "exclusive"},
		{"fault", stack(tr, read, []string{"filemap_fault", "__do_fault"}), []string{"READ"}, "invalidate_lock", "fault_create", "shared"},
		{"readahead", stack(tr, read, []string{"page_cache_ra_unbounded", "force_page_cache_ra"}), nil, "invalidate_lock", "readahead", "shared"},
		{"read batch", stack(tr, read, []string{"filemap_get_pages", "filemap_read"}), []string{"READ"}, "invalidate_lock", "read_batch", "shared"},
		{"mmap_lock", stack(tr, read, []string{"lock_mm_and_find_vma", "do_user_addr_fault"}), []string{"READ"}, "mmap_lock", "fault", "shared"},
		{"mutex", stack(tr, []string{"__mutex_lock", "__lru_add_drain_all", "generic_fadvise"}), []string{"MUTEX"},
			"other", "__lru_add_drain_all<-generic_fadvise", "exclusive"},
		{"chain too far", stack(tr, read, []string{"xfs_ilock", "a", "b", "c", "d", "xfs_file_buffered_read"}), []string{"READ"},
			"other", "xfs_ilock<-a", "shared"},
		{"only primitives", stack(tr, write), nil, "other", "rwsem_down_write_slowpath<-down_write", "exclusive"},
		{"no stack", nil, []string{"WRITE"}, "other", "(no stack)", "exclusive"},
	} {
		a := attribute(c.frames, c.flags, rules())
		if a.lock != c.lock || a.site != c.site || a.mode != c.mode {
			t.Errorf("%s: attribute = %+v, want %s %s %s", c.name, a, c.lock, c.site, c.mode)
		}
	}
}
