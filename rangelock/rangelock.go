// Package rangelock is a reader-writer lock over ranges of page indexes: the
// "mapping range lock" Jan Kara proposed in 2013 for the page cache. Shared
// holders of overlapping ranges coexist; an exclusive holder excludes every
// overlapping holder; disjoint ranges never wait for each other.
//
// Requests are granted in arrival order among those that overlap: a request
// waits for every earlier overlapping request that conflicts with it, granted
// or still waiting. So a queued exclusive range (a punch) is not starved by a
// stream of shared ones (readers), just as a writer-preferring rwsem, but only
// readers of its own range queue behind it.
package rangelock

import "sync"

// Lock is a range lock. The zero value is an unlocked lock.
type Lock struct {
	mu   sync.Mutex // guards reqs and the granted flag of each request in it
	reqs []*request // granted and waiting, in arrival order
}

// Range is a held range, returned by Lock and TryLock and given to Unlock.
type Range struct{ r *request }

type request struct {
	first, last uint64
	exclusive   bool
	granted     bool
	ready       chan struct{}
}

func (a *request) conflicts(b *request) bool {
	return a.first <= b.last && b.first <= a.last && (a.exclusive || b.exclusive)
}

// canGrant reports whether the request at index i conflicts with no earlier one.
func (l *Lock) canGrant(i int) bool {
	r := l.reqs[i]
	for _, e := range l.reqs[:i] {
		if e.conflicts(r) {
			return false
		}
	}
	return true
}

// Lock acquires [first, last] shared or exclusive, waiting as needed. It
// reports whether it had to wait.
func (l *Lock) Lock(first, last uint64, exclusive bool) (Range, bool) {
	r := &request{first: first, last: last, exclusive: exclusive}
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	if l.canGrant(len(l.reqs) - 1) {
		r.granted = true
		l.mu.Unlock()
		return Range{r}, false
	}
	r.ready = make(chan struct{})
	l.mu.Unlock()
	<-r.ready
	return Range{r}, true
}

// TryLock acquires [first, last] only if no earlier request conflicts.
func (l *Lock) TryLock(first, last uint64, exclusive bool) (Range, bool) {
	r := &request{first: first, last: last, exclusive: exclusive}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
	if !l.canGrant(len(l.reqs) - 1) {
		l.reqs = l.reqs[:len(l.reqs)-1]
		return Range{}, false
	}
	r.granted = true
	return Range{r}, true
}

// Unlock releases a range and grants the waiting requests it was blocking.
func (l *Lock) Unlock(h Range) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range l.reqs {
		if r == h.r {
			l.reqs = append(l.reqs[:i], l.reqs[i+1:]...)
			break
		}
	}
	for i, r := range l.reqs {
		if !r.granted && l.canGrant(i) {
			r.granted = true
			close(r.ready)
		}
	}
}

// Held returns the number of granted ranges, for tests.
func (l *Lock) Held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if r.granted {
			n++
		}
	}
	return n
}
