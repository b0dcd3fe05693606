package blockdev

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"
)

// TestFaulty: the faulty store fails the transfers its faults select with an
// *IOError wrapping EIO that names the store, the blocks and the offset, and
// lets every other transfer through to the store it wraps.
func TestFaulty(t *testing.T) {
	in := func(lo, hi uint64) func(uint64, int) bool {
		return func(b uint64, n int) bool { return b <= hi && b+uint64(n)-1 >= lo }
	}
	synctest.Test(t, func(t *testing.T) {
		s := NewFaulty(NewMemory(64, 0), "img", Faults{ReadEIO: in(10, 12), WriteEIO: in(20, 20),
			DeadAfter: time.Second, DeadFor: time.Second})
		buf := [][]byte{make([]byte, BlockSize), make([]byte, BlockSize)}
		for _, tc := range []struct {
			op      string
			blk     uint64
			wantErr string
		}{
			{"read", 8, ""},
			{"read", 9, "blockdev: img: read blocks 9..10 at offset 36864: input/output error (EIO)"},
			{"write", 9, ""},
			{"write", 19, "blockdev: img: write blocks 19..20 at offset 77824: input/output error (EIO)"},
			{"read", 19, ""},
		} {
			var err error
			if tc.op == "read" {
				err = s.ReadBlocks(tc.blk, buf)
			} else {
				err = s.WriteBlocks(tc.blk, buf)
			}
			var ioe *IOError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s %d: %v", tc.op, tc.blk, err)
			case tc.wantErr != "" && (!errors.As(err, &ioe) || !errors.Is(err, unix.EIO) || err.Error() != tc.wantErr):
				t.Errorf("%s %d: %v, want %s", tc.op, tc.blk, err, tc.wantErr)
			}
		}
		// Dead from 1s to 2s: every I/O and sync fails, then the disk is back.
		time.Sleep(1500 * time.Millisecond)
		if err := s.ReadBlocks(1, buf); !errors.Is(err, unix.EIO) {
			t.Errorf("read of a dead disk: %v", err)
		}
		if err := s.Sync(); err == nil || !strings.Contains(err.Error(), "fdatasync") {
			t.Errorf("sync of a dead disk: %v", err)
		}
		time.Sleep(time.Second)
		if err := s.ReadBlocks(1, buf); err != nil {
			t.Errorf("read after the outage: %v", err)
		}
	})
}

// TestFaultyStallFrom: a stall delays only the selected transfers, only from
// From on, and the data still goes through.
func TestFaultyStallFrom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewFaulty(NewMemory(64, 0), "img", Faults{Stalled: func(b uint64, _ int) bool { return b == 5 },
			StallFor: 20 * time.Second, From: time.Second})
		buf := [][]byte{make([]byte, BlockSize)}
		buf[0][0] = 7
		start := time.Now()
		if err := s.WriteBlocks(5, buf); err != nil || time.Since(start) != 0 {
			t.Errorf("write before From: %v after %v", err, time.Since(start))
		}
		time.Sleep(time.Second)
		start = time.Now()
		buf[0][0] = 0
		if err := s.ReadBlocks(5, buf); err != nil || time.Since(start) != 20*time.Second || buf[0][0] != 7 {
			t.Errorf("stalled read: %v after %v, byte %d", err, time.Since(start), buf[0][0])
		}
		start = time.Now()
		if err := s.ReadBlocks(6, buf); err != nil || time.Since(start) != 0 {
			t.Errorf("read of another block: %v after %v", err, time.Since(start))
		}
	})
}
