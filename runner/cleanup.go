package runner

import (
	"os"
	"sync"
)

// Cleanup holds the temporary directories of a run in progress, so that a
// process that must exit at once (a second signal, a run that will not stop)
// still removes what it made. Its methods do nothing on nil.
type Cleanup struct {
	mu   sync.Mutex // guards dirs
	dirs map[string]bool
}

func (c *Cleanup) add(dir string) {
	if c == nil || dir == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirs == nil {
		c.dirs = map[string]bool{}
	}
	c.dirs[dir] = true
}

func (c *Cleanup) remove(dir string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.dirs, dir)
}

// Now removes every directory still held. It may run while the run goes on:
// files still open in them vanish from the tree and are freed when closed.
func (c *Cleanup) Now() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := range c.dirs {
		os.RemoveAll(d)
	}
	c.dirs = nil
}
