package vfs

// Strategy is how page-cache filling is serialized against invalidation (punch,
// truncate, zero range). The model calls Enter and Exit in pairs at every hook
// point; a strategy takes and releases whatever it takes at that site for the
// pages first..last of the mapping, and nothing else.
type Strategy interface {
	Name() string
	// InvalidateLockName is what the strategy calls its invalidation lock
	// (i_mmap_sem, MMAPLOCK, invalidate_lock), for reports.
	InvalidateLockName() string
	Enter(t *Task, m *Mapping, site Site, first, last uint64)
	// TryEnter is Enter without waiting; the model uses it where it already
	// holds page locks (readahead inserting its second and later pages), since
	// waiting there for a lock that punch holds while it waits on those pages
	// would deadlock. On false the model drops its page locks and calls Enter.
	TryEnter(t *Task, m *Mapping, site Site, first, last uint64) bool
	Exit(t *Task, m *Mapping, site Site, first, last uint64)
}

// MappingIniter is implemented by strategies that keep per-mapping state beyond
// the invalidation lock (a range lock, say); InitMapping runs once per mapping.
type MappingIniter interface {
	InitMapping(m *Mapping)
}

// LockKind names a lock a Take takes.
type LockKind uint8

const (
	LockNothing LockKind = iota
	LockIRwsem           // the inode's i_rwsem
	LockInval            // the mapping's invalidation lock
)

// Take is what a table strategy takes at one site.
type Take struct {
	Lock LockKind
	Mode Mode
}

// Table is the locking table of a strategy: what it takes at each site. The
// zero Take takes nothing.
type Table [numSites]Take

// TableStrategy is a strategy given entirely by its locking table. The five
// strategies of docs/design.md section 5 are tables.
type TableStrategy struct {
	name, inval string
	table       Table
}

// NewTableStrategy returns the strategy that takes table[site] at each site.
func NewTableStrategy(name, invalName string, table Table) *TableStrategy {
	return &TableStrategy{name: name, inval: invalName, table: table}
}

func (s *TableStrategy) Name() string               { return s.name }
func (s *TableStrategy) InvalidateLockName() string { return s.inval }

// Table returns the strategy's locking table.
func (s *TableStrategy) Table() Table { return s.table }

// lockAt is the lock the table takes at site and its mode; nil for none.
func (s *TableStrategy) lockAt(m *Mapping, site Site) (*RWSem, Mode) {
	switch tk := s.table[site]; tk.Lock {
	case LockIRwsem:
		return &m.host.rwsem, tk.Mode
	case LockInval:
		return &m.Inval, tk.Mode
	}
	return nil, Shared
}

func (s *TableStrategy) Enter(t *Task, m *Mapping, site Site, first, last uint64) {
	if l, mode := s.lockAt(m, site); l != nil {
		l.lock(t, site, mode)
	}
}

func (s *TableStrategy) TryEnter(t *Task, m *Mapping, site Site, first, last uint64) bool {
	if l, mode := s.lockAt(m, site); l != nil {
		return l.trylock(t, site, mode)
	}
	return true
}

func (s *TableStrategy) Exit(t *Task, m *Mapping, site Site, first, last uint64) {
	if l, mode := s.lockAt(m, site); l != nil {
		l.unlock(t, site, mode)
	}
}

// S and X are shorthands for table entries.
func S(k LockKind) Take { return Take{Lock: k, Mode: Shared} }
func X(k LockKind) Take { return Take{Lock: k, Mode: Exclusive} }
