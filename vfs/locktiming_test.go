package vfs_test

import (
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// TestLockTiming: with LockTiming every counted acquisition's hold is timed on
// the FS's clock, whether the options give one or New makes it.
func TestLockTiming(t *testing.T) {
	for _, tc := range []struct {
		name string
		clk  *clock.Clock
	}{{"given monotonic", clock.Monotonic()}, {"default", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := strategies.New("irwsem")
			if err != nil {
				t.Fatal(err)
			}
			const size = 64 * ps
			fs, err := vfs.New(blockdev.NewMemory(256, 0), s, 1, size, vfs.Options{LockTiming: true, Clock: tc.clk})
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			tk := fs.NewTask()
			defer tk.Close()
			buf := blockdev.AlignedBuffer(size)
			if _, err := tk.Write(0, 0, buf); err != nil {
				t.Fatal(err)
			}
			for off := int64(0); off < size; off += ps {
				if _, err := tk.Read(0, off, buf[:ps]); err != nil {
					t.Fatal(err)
				}
			}
			var timed int
			for _, st := range fs.LockStats() {
				var holds int64
				for _, n := range st.HoldHist {
					holds += n
				}
				if holds != st.Acquisitions {
					t.Errorf("%s %s %s: %d acquisitions, %d timed holds", st.Lock, st.Site, st.Mode, st.Acquisitions, holds)
				}
				if st.HoldNs < 0 || st.WaitNs < 0 {
					t.Errorf("%s %s %s: hold %d ns, wait %d ns", st.Lock, st.Site, st.Mode, st.HoldNs, st.WaitNs)
				}
				if st.Lock == "i_rwsem" && st.Site == "read_entry" {
					timed++
					if st.Acquisitions != size/ps || st.HoldNs <= 0 {
						t.Errorf("i_rwsem at read_entry: %d acquisitions, %d ns held; want %d reads and some time", st.Acquisitions, st.HoldNs, size/ps)
					}
				}
			}
			if timed != 1 {
				t.Errorf("no i_rwsem hold at read_entry in %+v", fs.LockStats())
			}
		})
	}
}
