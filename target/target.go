// Package target is the contract between the runner and a system under test:
// Target and Worker, which every target implements, and the optional
// capabilities the runner looks for with a type assertion and does without
// when a target lacks them. It is a leaf (it imports only results), so that
// the targets and the reference model (refmodel) can name the contract
// without importing the runner.
package target

import "github.com/rwbench/rwbench/results"

// Target is a system under test: the model with one strategy, the host kernel's page
// cache, or the raw store. The runner creates one per cell and repetition.
type Target interface {
	// Name is the strategy or target name reported in results.
	Name() string
	// NewWorker returns the context of one worker goroutine. The model gives each
	// worker its own process (mm) so faults and mappings are per worker.
	NewWorker() (Worker, error)
	// Quiesce writes back all dirty data, waits for it, and drops the cache.
	Quiesce() error
	// Check is the target's structural check after Quiesce (the model's fsck of
	// block maps against the allocator); it returns one line per problem.
	Check() []string
	Close() error
}

// Worker runs operations for one goroutine. Offsets and lengths are in bytes; the
// runner keeps them page aligned. A read past end of file returns a short count.
type Worker interface {
	Read(file int, off int64, buf []byte) (int, error)
	Write(file int, off int64, data []byte) (int, error)
	// FaultRead drops this worker's mapping of the page at off (MADV_DONTNEED) and
	// loads it through the mapping, copying it to buf (one page).
	FaultRead(file int, off int64, buf []byte) error
	// FaultWrite drops the mapping of the page and stores data (one page) through the
	// mapping, so the store write-faults and goes through page_mkwrite.
	FaultWrite(file int, off int64, data []byte) error
	Punch(file int, off, length int64) error
	ZeroRange(file int, off, length int64) error
	// Truncate sets the file's size.
	Truncate(file int, size int64) error
	// Advise is fadvise(WILLNEED) over the range.
	Advise(file int, off, length int64) error
	Close() error
}

// The optional capabilities of a Target.
type (
	// LockStater is a target that keeps lock statistics (the model): the
	// runner takes them when the measurement window opens and when it shuts.
	LockStater interface {
		LockStats() []results.LockStat
	}
	// Violationer is a target with a lock validator (the model).
	Violationer interface {
		Violations() []string
	}
	// WindowMeasurer is a target that measures something itself over the
	// measurement window (the model its buffer pool and dirty pauses, the
	// real filesystems the host kernel's trace): StartWindow when the window
	// opens, EndWindow, into the run, once the workers have stopped.
	WindowMeasurer interface {
		StartWindow()
		EndWindow(run *results.Run)
	}
	// Conditioner is a target that sets conditions on the host for its run
	// (results.Run.Conditions).
	Conditioner interface {
		Conditions() []string
	}
	// PageWarmer is a target that can fill the cache with a file in base
	// pages (files.warm); without it the runner reads the file in 1 MiB
	// chunks.
	PageWarmer interface {
		WarmPages(file int) error
	}
)

// The optional capabilities of a Worker.
type (
	// Idler is a worker that can say it is between operations for a while
	// (the model's Task: its grace periods need not wait for it, see
	// vfs.Task.Idle).
	Idler interface{ Idle() }
	// HeldLocker is a worker that can say which locks it holds (the model's
	// Task), for the watchdog's dump.
	HeldLocker interface{ Held() string }
	// MappedReader is a worker that can read into a user buffer that is a
	// mapping of a file (the model's Task; config user_buffer: mmap).
	MappedReader interface {
		ReadToMapping(file int, off int64, length int, dstFile int, dstOff int64) (int, error)
		LoadMapped(file int, off int64, buf []byte) error
	}
)
