package scratchfs

import (
	"testing"
	"time"
)

// A second setup waits for the first to release the host lock.
func TestLockHostWaits(t *testing.T) {
	dir := t.TempDir()
	first, err := lockHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *hostLock)
	go func() {
		l, err := lockHost(dir)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("took the lock while another holder had it")
	case <-time.After(100 * time.Millisecond):
	}
	if err := first.unlock(); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if err := second.unlock(); err != nil {
		t.Fatal(err)
	}
}
