package runner

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
