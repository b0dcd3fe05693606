package runner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/config"
)

// ErrSizing is a config the machine cannot run as asked: more worker threads
// than it sets up within the warm-up, or a memory store larger than memory.
var ErrSizing = errors.New("sizing")

// sizingError is a one-line message naming the config keys, classified by ErrSizing.
type sizingError struct{ msg string }

func (e *sizingError) Error() string { return e.msg }
func (e *sizingError) Unwrap() error { return ErrSizing }

// setupSlack is the worker setup time a config without a warm-up may spend:
// a fraction of any measurement window.
const setupSlack = 50 * time.Millisecond

// setupProbe is how many workers are set up before the time the rest will
// take is estimated.
const setupProbe = 64

// setupBudget fails a run whose workers take longer to set up than the
// warm-up gives them: their setup would eat the measurement window, and jobs
// would report too few ops, or none, for reasons that have nothing to do with
// the strategy. It estimates from the first setupProbe workers, so that a
// config of thousands of threads fails in milliseconds, not after seconds.
type setupBudget struct {
	c           *config.Config
	start       time.Time
	done, total int
	limit       time.Duration
}

func newSetupBudget(c *config.Config) *setupBudget {
	b := &setupBudget{c: c, start: time.Now(), limit: max(c.Warmup.D(), setupSlack)}
	for _, j := range c.Jobs {
		b.total += j.Threads
	}
	return b
}

// created counts one worker set up, and fails when the estimate (after the
// probe) or the time taken (at the end) is over the budget.
func (b *setupBudget) created() error {
	b.done++
	if b.done != min(setupProbe, b.total) && b.done != b.total {
		return nil
	}
	took := time.Since(b.start)
	est := time.Duration(float64(took) * float64(b.total) / float64(b.done))
	if est <= b.limit {
		return nil
	}
	how := "took"
	if b.done < b.total {
		how = "would take"
	}
	return &sizingError{fmt.Sprintf("jobs: setting up %d worker threads %s about %v, longer than the warm-up (warmup %v): lower the jobs' threads or raise warmup",
		b.total, how, est.Round(time.Millisecond), b.c.Warmup)}
}

// checkMemory refuses a memory store larger than the memory available: its
// blocks would be Go memory, and the process would die out of memory.
func checkMemory(c *config.Config, meminfo string) error {
	if c.Backend.Kind != blockdev.KindMemory {
		return nil
	}
	avail, ok := memAvailable(meminfo)
	if !ok || int64(c.Backend.Size) <= avail {
		return nil
	}
	return &sizingError{fmt.Sprintf("backend.size %v is larger than the memory available (%.1fGiB) for the memory backend, which keeps its blocks in memory: lower backend.size",
		c.Backend.Size, float64(avail)/(1<<30))}
}

// memAvailable reads MemAvailable from a /proc/meminfo file, in bytes.
func memAvailable(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb * 1024, err == nil
	}
	return 0, false
}
