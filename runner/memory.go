package runner

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// modelHeadroom is what the model's memory limit allows above the cache size:
// the page structs, the oracle, the recorders, the runtime's own and garbage.
const modelHeadroom = 48 << 20

// followHeadroom is the least room for garbage the limit leaves above the live
// heap when the live heap outgrows the cache (see peakRSS).
const followHeadroom = 16 << 20

// memMu serializes the runs' use of the process-wide memory limit and
// high-water mark (the runner runs one target at a time; tests may not).
var memMu sync.Mutex

// peakRSS tracks the peak resident set of one run: begin frees what earlier
// runs left, resets the kernel's high-water mark (VmHWM) and, for the model,
// sets a soft memory limit of the cache size plus modelHeadroom, so that the
// garbage collector keeps the heap near the cache (the model allocates a fresh
// page buffer per page read or written and leaves the old ones to the GC).
//
// The oracle keeps 24 bytes per mutation for the whole run, so with verify on
// the live heap outgrows any fixed limit in a long run, and the collector would
// then run back to back (up to its 50% CPU cap), slowing the run it measures.
// So the limit follows the live heap: it is the larger of the cache plus
// modelHeadroom and the live heap after the last collection plus
// followHeadroom. With the cache full and the oracle small the live heap is
// about the cache plus 20MiB, and the limit is the cache plus modelHeadroom.
type peakRSS struct {
	limited  bool
	oldLimit int64
	stop     chan struct{}
	done     chan struct{}
}

// beginMemory starts the run's memory accounting; limit > 0 sets the soft
// memory limit for the run (raised with the live heap, see peakRSS). end
// returns the peak RSS in bytes (0 where the kernel does not say) and restores
// the limit.
func beginMemory(limit int64) *peakRSS {
	memMu.Lock()
	debug.FreeOSMemory()
	resetHWM()
	p := &peakRSS{}
	if limit > 0 {
		p.limited = true
		p.oldLimit = debug.SetMemoryLimit(limit)
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.follow(limit)
	}
	return p
}

// follow raises the memory limit to the live heap plus followHeadroom when that
// is above floor, checking every 100ms, until stop.
func (p *peakRSS) follow(floor int64) {
	defer close(p.done)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	cur := floor
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		metrics.Read(live)
		if live[0].Value.Kind() != metrics.KindUint64 {
			continue
		}
		want := max(floor, int64(live[0].Value.Uint64())+followHeadroom)
		if want > cur+1<<20 || want < cur-1<<20 {
			debug.SetMemoryLimit(want)
			cur = want
		}
	}
}

func (p *peakRSS) end() int64 {
	peak := readHWM()
	if p.limited {
		close(p.stop)
		<-p.done
		debug.SetMemoryLimit(p.oldLimit)
	}
	memMu.Unlock()
	return peak
}

// resetHWM resets VmHWM to the current RSS (Linux 4.0+: "5" to clear_refs).
func resetHWM() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// readHWM returns VmHWM of /proc/self/status in bytes, 0 if unavailable.
func readHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseHWM(data)
}

// parseHWM finds "VmHWM:   1234 kB" in a /proc/PID/status text.
func parseHWM(status []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0
		}
		return kb << 10
	}
	return 0
}
