package oracle

import (
	"fmt"
	"sync/atomic"
)

// The mutation log: each file's entries, one per generation, in chunks
// allocated as the generations grow, found without a lock.

type dir [dirLen]atomic.Pointer[chunk]
type chunk [chunkLen]entry

// entry is one mutation. start and info are stored once by Begin before the
// generation is handed out; end is inFlight until End.
type entry struct {
	start atomic.Int64
	end   atomic.Int64
	info  atomic.Int64
}

// lookup returns the entry of gen, or nil when gen was never issued or its chunk
// does not exist yet. It takes no lock.
func (f *fileState) lookup(gen uint64) *entry {
	i := gen - 1
	if gen == 0 || i>>(chunkBits+dirBits) >= topLen {
		return nil
	}
	d := f.top[i>>(chunkBits+dirBits)].Load()
	if d == nil {
		return nil
	}
	c := d[i>>chunkBits&(dirLen-1)].Load()
	if c == nil {
		return nil
	}
	return &c[i&(chunkLen-1)]
}

// slot returns the entry of a gen being issued, growing the table if needed.
func (f *fileState) slot(gen uint64) *entry {
	if e := f.lookup(gen); e != nil {
		return e
	}
	i := gen - 1
	if i>>(chunkBits+dirBits) >= topLen {
		panic("oracle: more than 2^32 mutations of one file")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.top[i>>(chunkBits+dirBits)].Load()
	if d == nil {
		d = new(dir)
		f.top[i>>(chunkBits+dirBits)].Store(d)
	}
	c := d[i>>chunkBits&(dirLen-1)].Load()
	if c == nil {
		c = new(chunk)
		d[i>>chunkBits&(dirLen-1)].Store(c)
		select {
		case f.kick <- struct{}{}: // the chunk before may be full: wake the retirer
		default:
		}
	}
	return &c[i&(chunkLen-1)]
}

// writeEntry returns the entry of write gen of page idx; a mismatch is a caller bug.
func (f *fileState) writeEntry(idx, gen uint64) *entry {
	e := f.lookup(gen)
	if e == nil || e.info.Load() != int64(idx)+1 {
		panic(fmt.Sprintf("oracle: gen %d is not a write of page %d", gen, idx))
	}
	return e
}

// covers reports whether the mutation described by info mutated page idx.
func covers(info int64, idx uint64) bool {
	if info&zeroKind != 0 {
		first, count := uint64(info>>31&rangeMax), uint64(info&rangeMax)
		return idx-first < count
	}
	return info == int64(idx)+1
}

// setter finds the completed mutation of page idx that started at tick: the one
// that set the page's floor. It scans the table from the newest entry, then the
// survivors of retirement, so it is only for messages.
func (f *fileState) setter(idx uint64, tick int64) (gen uint64, zero, ok bool) {
	for g, low := f.gen.Load(), f.retired.Load(); g > low; g-- {
		e := f.lookup(g)
		if e == nil {
			continue
		}
		info := e.info.Load()
		if info != 0 && covers(info, idx) && e.start.Load() == tick && e.end.Load() != inFlight {
			return g, info&zeroKind != 0, true
		}
	}
	if !f.hasSurv {
		return 0, false, false
	}
	sl := &f.pages[idx].surv
	if g := sl.gen.Load(); g != 0 && f.survStart[idx].Load() == tick && sl.gen.Load() == g {
		return g, false, true
	}
	f.omu.RLock()
	defer f.omu.RUnlock()
	for g, s := range f.kept {
		if covers(s.info, idx) && s.start == tick && g > gen {
			gen, zero, ok = g, s.info&zeroKind != 0, true
		}
	}
	return gen, zero, ok
}
