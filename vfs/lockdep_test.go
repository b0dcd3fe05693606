package vfs_test

import (
	"strings"
	"testing"

	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// findViolation returns the first violation containing every one of want.
func findViolation(vs []string, want ...string) (string, bool) {
	for _, v := range vs {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(v, w)
		}
		if ok {
			return v, true
		}
	}
	return "", false
}

// TestValidatorCatchesNaive: the 2019 attempt holds i_mmap_sem shared across
// the copy to the user buffer; when that buffer is a file mapping the copy
// faults, takes mmap_lock under i_mmap_sem and then i_mmap_sem again. One task
// alone cannot deadlock (no punch is queued), but the validator reports all of
// it on the first copy-out fault: the rank violation, the cycle in the class
// graph with the stacks of both edges, and the recursive acquisition.
func TestValidatorCatchesNaive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dstFile int
		same    string
	}{
		{"buffer in another file", 1, "another lock of the same class"},
		{"buffer in the file read", 0, "the same lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, violations := violationFS(t, strategies.Naive())
			tk := fs.NewTask()
			defer tk.Close()
			n, err := tk.ReadToMapping(0, 0, 4*ps, tc.dstFile, 32*ps)
			if err != nil || n != 4*ps {
				t.Fatalf("ReadToMapping = %d, %v", n, err)
			}
			vs := *violations
			if _, ok := findViolation(vs, "lock order violation: mmap_lock (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry"); !ok {
				t.Errorf("no rank violation for mmap_lock under i_mmap_sem; got:\n%s", strings.Join(vs, "\n---\n"))
			}
			cycle, ok := findViolation(vs, "lock inversion:", "edge i_mmap_sem -> mmap_lock", "edge mmap_lock -> i_mmap_sem")
			if !ok {
				t.Fatalf("no cycle reported; got:\n%s", strings.Join(vs, "\n---\n"))
			}
			// Both edges, each with the stack where each lock was taken.
			for _, want := range []string{
				"mmap_lock (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry",
				"vfs.(*Task).ReadToMapping", "vfs.(*Task).handleFault", "vfs.(*Task).storePage",
			} {
				if !strings.Contains(cycle, want) {
					t.Errorf("cycle report does not contain %q:\n%s", want, cycle)
				}
			}
			if _, ok := findViolation(vs, "recursive acquisition: i_mmap_sem (shared) taken at fault while holding i_mmap_sem (shared) taken at read_entry ("+tc.same+")"); !ok {
				t.Errorf("no recursive acquisition (%s) reported; got:\n%s", tc.same, strings.Join(vs, "\n---\n"))
			}
			// Each distinct finding once, however many pages faulted.
			if n, err := tk.ReadToMapping(0, 8*ps, 8*ps, tc.dstFile, 32*ps); err != nil || n != 8*ps {
				t.Fatalf("second ReadToMapping = %d, %v", n, err)
			}
			if len(*violations) != len(vs) {
				t.Errorf("%d violations after a second read, %d after the first: findings are not deduplicated", len(*violations), len(vs))
			}
		})
	}
}

// TestValidatorHandMadeInversion: two tasks take i_rwsem and mmap_lock in
// opposite orders, one after the other, so nothing ever waits: a strategy that
// takes i_rwsem in the fault (mmap_lock -> i_rwsem) and around the read, whose
// copy-out faults (i_rwsem -> mmap_lock). The graph closes the cycle when the
// second task takes its edge, and reports it with the first task's stack.
func TestValidatorHandMadeInversion(t *testing.T) {
	fs, violations := violationFS(t, vfs.NewTableStrategy("inverted", "i_mmap_sem", vfs.Table{
		vfs.SiteReadEntry: vfs.S(vfs.LockIRwsem),
		vfs.SiteFault:     vfs.S(vfs.LockIRwsem),
		vfs.SitePunch:     vfs.X(vfs.LockInval),
	}))
	a := fs.NewTask()
	defer a.Close()
	if err := a.FaultRead(0, 8*ps, make([]byte, ps)); err != nil {
		t.Fatal(err)
	}
	if _, ok := findViolation(*violations, "lock inversion"); ok {
		t.Fatalf("a cycle after one direction only:\n%s", strings.Join(*violations, "\n---\n"))
	}
	b := fs.NewTask()
	defer b.Close()
	if n, err := b.ReadToMapping(0, 16*ps, ps, 1, 0); err != nil || n != ps {
		t.Fatalf("ReadToMapping = %d, %v", n, err)
	}
	cycle, ok := findViolation(*violations, "lock inversion: mmap_lock (shared) taken at fault while holding i_rwsem (shared) taken at read_entry",
		"i_rwsem -> mmap_lock -> i_rwsem")
	if !ok {
		t.Fatalf("no cycle reported; got:\n%s", strings.Join(*violations, "\n---\n"))
	}
	for _, want := range []string{"(this acquisition)", "(first seen)", "vfs.(*Task).FaultRead", "vfs.(*Task).ReadToMapping"} {
		if !strings.Contains(cycle, want) {
			t.Errorf("cycle report does not contain %q:\n%s", want, cycle)
		}
	}
}

// TestValidatorSilentMappedBuffer: every strategy but naive reads into a
// mapped buffer without a finding (irwsem holds i_rwsem across the copy, as
// XFS did, which ranks above mmap_lock), with the buffer in another file or in
// the file read.
func TestValidatorSilentMappedBuffer(t *testing.T) {
	for _, name := range strategies.Names() {
		if name == "naive" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			s, err := strategies.New(name)
			if err != nil {
				t.Fatal(err)
			}
			fs, violations := violationFS(t, s)
			tk := fs.NewTask()
			for _, dst := range []int{1, 0} {
				if n, err := tk.ReadToMapping(0, 0, 16*ps, dst, 32*ps); err != nil || n != 16*ps {
					t.Fatalf("ReadToMapping into file %d = %d, %v", dst, n, err)
				}
				if err := tk.Punch(0, 4*ps, 4*ps); err != nil {
					t.Fatal(err)
				}
				if err := tk.FaultWrite(0, 2*ps, make([]byte, ps)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tk.Close(); err != nil {
				t.Fatal(err)
			}
			if err := fs.Quiesce(); err != nil {
				t.Fatal(err)
			}
			if len(*violations) > 0 {
				t.Errorf("%d violations, first:\n%s", len(*violations), (*violations)[0])
			}
		})
	}
}

// TestReadToMapping: the copy-out lands in the buffer file, page by page,
// through the task's mapping (which another task's read(2) of the buffer file
// sees once written back or straight from the cache), and stops at end of file.
func TestReadToMapping(t *testing.T) {
	fs, violations := violationFS(t, strategies.Invalidate())
	tk := fs.NewTask()
	defer tk.Close()
	src := make([]byte, 8*ps)
	for i := range 8 {
		src[i*ps] = byte(i + 1)
		src[i*ps+ps-1] = byte(100 + i)
	}
	if _, err := tk.Write(0, 56*ps, src); err != nil {
		t.Fatal(err)
	}
	n, err := tk.ReadToMapping(0, 56*ps, 16*ps, 1, 4*ps) // 8 pages past EOF
	if err != nil || n != 8*ps {
		t.Fatalf("ReadToMapping = %d, %v; want %d (end of file)", n, err, 8*ps)
	}
	back := make([]byte, 8*ps)
	if err := tk.LoadMapped(1, 4*ps, back); err != nil {
		t.Fatal(err)
	}
	if string(back) != string(src) {
		t.Error("the mapped buffer does not hold what was read")
	}
	other := fs.NewTask()
	defer other.Close()
	if _, err := other.Read(1, 4*ps, back); err != nil || string(back) != string(src) {
		t.Errorf("read(2) of the buffer file: %v, or it differs", err)
	}
	if _, err := tk.ReadToMapping(0, 0, ps, 1, 64*ps); err == nil {
		t.Error("a buffer past the end of its file: no error")
	}
	if len(*violations) > 0 {
		t.Error((*violations)[0])
	}
}
