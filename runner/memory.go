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

// followHeadroom is the least room the limit leaves above the live heap and
// the runtime's own memory when they outgrow the floor (see peakRSS). The
// runtime keeps 3% of the limit free below it, so this is a backstop: the
// collector is paced by gcRoom first.
const followHeadroom = 24 << 20

// gcRoom is the garbage the heap may hold above the live heap before a
// collection: GOGC is set to gcRoom over the live heap.
const gcRoom = 8 << 20

// memMu serializes the runs' use of the process-wide memory limit and
// high-water mark (the runner runs one target at a time; tests may not).
var memMu sync.Mutex

// peakRSS tracks the peak resident set of one run: begin frees what earlier
// runs left, resets the kernel's high-water mark (VmHWM) and, for the model,
// sets a soft memory limit so that garbage stays small next to the cache.
//
// The model's page buffers are Go memory that stays live (slabs recycled after
// grace periods, see vfs), so its live heap is the cache plus the pool's slack
// (1/32 of the cache and two batches per task, the pool's bound), the page
// structs and the harness: about the cache plus 30MiB when full. A fixed limit near that would leave
// the collector no room, and it would run back to back (it ran 30 times a
// second at 20% of the CPU). So the limit follows the live heap: it is the
// larger of the cache plus modelHeadroom and the live heap plus the runtime's
// own memory (span metadata, unused span space) plus followHeadroom, checked
// every 100ms, and GOGC is set so that the heap may hold gcRoom of garbage
// before a collection (a percentage of a 300MiB heap is too coarse a knob
// otherwise, and the limit's own pacing keeps 3% of it unused).
type peakRSS struct {
	limited  bool
	oldLimit int64
	oldGC    int
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
		p.oldGC = debug.SetGCPercent(100)
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.follow(limit)
	}
	return p
}

// follow raises the memory limit to the live heap plus followHeadroom when that
// is above floor, checking every 100ms, until stop.
func (p *peakRSS) follow(floor int64) {
	defer close(p.done)
	ms := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	cur, gcPct := floor, 100
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		metrics.Read(ms)
		var v [4]int64
		for i, s := range ms {
			if s.Value.Kind() == metrics.KindUint64 {
				v[i] = int64(s.Value.Uint64())
			}
		}
		live, runtimeOwn := v[0], max(0, v[1]-v[2]-v[3])
		if pct := int(max(1, min(100, 100*gcRoom/max(live, 1)))); pct != gcPct {
			debug.SetGCPercent(pct)
			gcPct = pct
		}
		want := max(floor, live+runtimeOwn+followHeadroom)
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
		debug.SetGCPercent(p.oldGC)
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
