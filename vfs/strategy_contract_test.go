package vfs_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/strategies"
	"github.com/rwbench/rwbench/vfs"
)

// recorder wraps a strategy and checks how the model calls it (the Strategy
// contract): Enter and Exit in pairs, on the same task, site and range, nested;
// a failed TryEnter is not exited; and every range names pages of the mapping
// (first..last inclusive, last < the file's pages; an empty range, first =
// last+1, only where there is nothing to cover).
type recorder struct {
	vfs.Strategy
	pages uint64

	mu       sync.Mutex
	open     map[*vfs.Task][]call
	problems []string
	calls    map[vfs.Site]int
}

type call struct {
	m           *vfs.Mapping
	site        vfs.Site
	first, last uint64
}

func (c call) String() string { return fmt.Sprintf("%v %d..%d", c.site, c.first, c.last) }

func newRecorder(s vfs.Strategy, pages uint64) *recorder {
	return &recorder{Strategy: s, pages: pages, open: map[*vfs.Task][]call{}, calls: map[vfs.Site]int{}}
}

func (r *recorder) problem(format string, args ...any) {
	if len(r.problems) < 20 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

func (r *recorder) enter(t *vfs.Task, c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[c.site]++
	if c.last >= r.pages || c.first > c.last+1 {
		r.problem("Enter %v: not a range of the mapping's %d pages", c, r.pages)
	}
	r.open[t] = append(r.open[t], c)
}

func (r *recorder) exit(t *vfs.Task, c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.open[t]
	if len(st) == 0 {
		r.problem("Exit %v with nothing entered", c)
		return
	}
	if top := st[len(st)-1]; top != c {
		r.problem("Exit %v, but the innermost Enter is %v", c, top)
		for i := len(st) - 1; i >= 0; i-- {
			if st[i] == c {
				r.open[t] = append(st[:i], st[i+1:]...)
				return
			}
		}
		return
	}
	r.open[t] = st[:len(st)-1]
}

func (r *recorder) Enter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	r.enter(t, call{m, site, first, last})
	r.Strategy.Enter(t, m, site, first, last)
}

func (r *recorder) TryEnter(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) bool {
	if !r.Strategy.TryEnter(t, m, site, first, last) {
		return false
	}
	r.enter(t, call{m, site, first, last})
	return true
}

func (r *recorder) Exit(t *vfs.Task, m *vfs.Mapping, site vfs.Site, first, last uint64) {
	r.exit(t, call{m, site, first, last})
	r.Strategy.Exit(t, m, site, first, last)
}

func (r *recorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for tk, st := range r.open {
		if len(st) > 0 {
			t.Errorf("task %p never exited %v", tk, st)
		}
	}
	for _, p := range r.problems {
		t.Error(p)
	}
	t.Logf("calls by site: %v", r.calls)
}

// TestStrategyContract runs the metamorphic stream, then a short concurrent
// mix, through a recording strategy.
func TestStrategyContract(t *testing.T) {
	for _, name := range []string{"invalidate", "perpage"} {
		t.Run(name, func(t *testing.T) {
			const files, pages = 2, 64
			s, err := strategies.New(name)
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder(s, pages)
			ops := genOps(3, 400, files, pages)
			r := runModel(t, rec, files, pages, 32, ops)
			if d := diffTranscripts("reference", runOps(newRefFS(files, pages), nil, ops, nil), name, r.transcript); d != "" {
				t.Error(d)
			}

			// Concurrent: TryEnter fails and retries only under contention.
			fs, err := vfs.New(blockdev.NewMemory(files*pages+32, 0), rec, files, pages*ps, vfs.Options{
				CacheBytes: 32 * ps, FaultAroundPages: 16, Validate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					tk := fs.NewTask()
					defer tk.Close()
					rnd := rand.New(rand.NewPCG(uint64(g), 9))
					buf := make([]byte, 16*ps)
					for range 300 {
						off := rnd.Int64N(pages) * ps
						switch rnd.IntN(6) {
						case 0:
							tk.Read(0, off, buf[:rnd.IntN(16*ps)+1])
						case 1:
							tk.FaultRead(0, off, buf[:ps])
						case 2:
							tk.FaultWrite(0, off, buf[:ps])
						case 3:
							tk.Punch(0, off, ps*(1+rnd.Int64N(8)))
						case 4:
							tk.Truncate(0, rnd.Int64N(pages+1)*ps)
							tk.Truncate(0, pages*ps)
						case 5:
							tk.Advise(0, off, ps*(1+rnd.Int64N(32)))
						}
					}
				})
			}
			wg.Wait()
			rec.check(t)
		})
	}
}
