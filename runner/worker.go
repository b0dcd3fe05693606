package runner

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/clock"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/target"
	"github.com/rwbench/rwbench/workload"
)

const pageSize = oracle.PageSize

// worker is one thread of a job: it owns everything it touches per op.
type worker struct {
	job  int    // the job's index in the config's jobs
	key  string // the job's key in the results (config.JobKey)
	op   string
	kind oracle.OpKind // op, parsed: what do switches on
	// target is the target's worker the ops go to.
	target target.Worker
	// oracle knows what every page must hold; checker is this worker's own
	// counter of findings against it.
	oracle  *oracle.Oracle
	checker *oracle.Checker

	verify   bool
	offsets  workload.Offsets
	files    *workload.FilePicker
	pacer    *workload.Pacer
	rec      *workload.Recorder
	length   int64 // punch, zero, truncate and advise range
	fileSize int64

	// buf is the op's data (bs bytes, aligned for O_DIRECT): what a read
	// fills, what a write stores. floors are the oracle's floors of its pages
	// when a read began (Snapshot), gens the generations a write stamped on them.
	buf    []byte
	floors []int64
	gens   []uint64

	// idle, when the target's worker has it, is called before a paced wait.
	idle func()

	// mapped is set for a read job with user_buffer: mmap: the worker reads
	// into its slot of the mapping of file userFile at userOff.
	mapped   target.MappedReader
	userFile int
	userOff  int64

	// clk is the run's clock, whose base is the run's start (the pacer's): the
	// worker's times are nanoseconds on it. The measurement window is
	// [measureStart, measureEnd) on it; startWall is its base in UnixNano, for
	// the watchdog's stamp.
	clk                      *clock.Clock
	measureStart, measureEnd int64
	startWall                int64

	// record is false when the config says record: false: the worker then counts
	// its ops in counted, without timing them, and a closed-loop worker reads no
	// clock at all (win says when the window opens and closes).
	record  bool
	closed  bool // closed loop (rate 0)
	win     *window
	counted countOnly

	_    [64]byte // keep the counters the watchdog reads off the owner's hot lines
	done atomic.Int64
	inOp atomic.Int64 // start of the op in flight (UnixNano, from clk; inOpUnclocked when record is off), 0 between ops
	_    [64]byte
	// firstErr is the first error an op of the window returned (FirstError).
	firstErr error
}

// inOpUnclocked is inOp's value for an op in flight when the worker reads no
// clock (record: false): nonzero, as "in an op" must be, and no time an op
// can have started at (1ns after the epoch), so the watchdog's hung-op check
// skips it.
const inOpUnclocked = 1

// countOnly is what a worker that does not record keeps: its ops, bytes and
// errors in the measurement window.
type countOnly struct {
	ops, bytes, errors int64
}

// window is the measurement window as flags, for workers that do not read the
// clock: the runner sets open when the window opens and shut when it closes.
// The workers only read the flags, so the line stays shared in every cache.
type window struct {
	_    [64]byte
	open atomic.Bool
	shut atomic.Bool
	_    [64]byte
}

// newWorker makes thread th of job ji. clk is the run's clock, whose base is the
// run's start; measureStart and measureEnd bound the measurement window.
func newWorker(c *config.Config, ji, th int, tg target.Target, or *oracle.Oracle, win *window, clk *clock.Clock, measureStart, measureEnd time.Time) (*worker, error) {
	job := c.Jobs[ji]
	kind, ok := oracle.ParseOpKind(job.Op)
	if !ok {
		return nil, fmt.Errorf("unknown op %q", job.Op)
	}
	seed := uint64(c.Seed)*1_000_003 + uint64(ji)*7919 + uint64(th)
	regionOff, regionSize := int64(0), int64(c.Files.Size)
	if job.Region != nil {
		regionOff, regionSize = int64(job.Region.Offset), int64(job.Region.Size)
	}
	gran := int64(job.BS)
	switch kind {
	case oracle.OpFault, oracle.OpMkwrite:
		gran = pageSize
	case oracle.OpPunch, oracle.OpZero, oracle.OpAdvise, oracle.OpTruncate:
		gran = int64(job.Length)
	}
	offs, err := workload.NewOffsets(job.Pattern, seed, th, regionOff, regionSize, gran, job.Zipf)
	if err != nil {
		return nil, err
	}
	w, err := tg.NewWorker()
	if err != nil {
		return nil, err
	}
	var mapped target.MappedReader
	if job.UserBuffer == "mmap" {
		var ok bool
		if mapped, ok = w.(target.MappedReader); !ok {
			w.Close()
			return nil, fmt.Errorf("user_buffer: mmap: %s has no mapped user buffers (only the model's strategies have)", tg.Name())
		}
	}
	var idle func()
	if i, ok := w.(target.Idler); ok {
		idle = i.Idle
	}
	n := int(job.BS / pageSize)
	start := clk.Base()
	mStart, mEnd := int64(measureStart.Sub(start)), int64(measureEnd.Sub(start))
	return &worker{
		idle: idle, mapped: mapped, userFile: job.UserFile, userOff: c.UserSlot(ji, th),
		job: ji, key: c.JobKey(ji), op: job.Op, kind: kind, target: w, oracle: or, checker: or.NewChecker(),
		verify:  or.Level() != oracle.Off,
		offsets: offs, files: workload.NewFilePicker(c.FileIndexes(job), seed),
		pacer: workload.NewPacer(job.Rate, clk.Now), rec: workload.NewRecorder(mStart, c.Interval.D()),
		length: int64(job.Length), fileSize: int64(c.Files.Size),
		buf: alignedBuffer(int(job.BS)), floors: make([]int64, n), gens: make([]uint64, n),
		clk: clk, measureStart: mStart, measureEnd: mEnd, startWall: start.UnixNano(),
		record: c.Recording(), closed: !(job.Rate > 0), win: win,
	}, nil
}

// loop runs ops until the context ends or the measurement window closes.
// Latency is measured from the op's intended start (the pacer's schedule), so
// an open loop does not hide queueing (no coordinated omission).
func (w *worker) loop(ctx context.Context) {
	if !w.record {
		w.countLoop(ctx)
		return
	}
	// The clock is the run's clock.Clock (the TSC where the machine allows, see
	// package clock), read twice per op, at the start (a closed loop's intended
	// start) and at the end; the watchdog's stamp and the interval derive from
	// those reads. All times are nanoseconds since the run's start.
	clk := w.clk
	for {
		var intended, began int64
		if w.closed {
			if ctx.Err() != nil {
				return
			}
			began = clk.Now()
			intended = began
			if intended >= w.measureEnd {
				return
			}
		} else {
			var err error
			w.pace()
			intended, err = w.pacer.Wait(ctx)
			if err != nil || intended >= w.measureEnd {
				return
			}
			began = clk.Now()
		}
		w.inOp.Store(w.startWall + began)
		n, err := w.do()
		end := clk.Now()
		w.inOp.Store(0)
		w.done.Add(1)
		if intended < w.measureStart {
			continue
		}
		w.rec.Tick(end)
		if err != nil && !beyondEOF(err) {
			w.rec.Error()
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		w.rec.Record(end-intended, n)
	}
}

// countLoop is loop for record: false: it counts the ops of the measurement
// window and times nothing. Closed loop, it reads no clock: the window's flags
// say when to count and when to stop (the runner sets them on timers). Open
// loop, the pacer's schedule decides, as in loop.
//
// It is a second loop, not loop with a recorder that does nothing, because
// what record: false measures is what reading the clock costs: loop reads it
// twice per op, for the latency and to know when the window shuts, and a
// no-op recorder would leave both reads in. So the closed loop here reads
// flags instead, and collectCounts builds the figures from counters and the
// sampled series where collect merges recorders.
func (w *worker) countLoop(ctx context.Context) {
	for {
		var measured bool
		if w.closed {
			if w.win.shut.Load() {
				return
			}
			measured = w.win.open.Load()
		} else {
			w.pace()
			intended, err := w.pacer.Wait(ctx)
			if err != nil || intended >= w.measureEnd {
				return
			}
			measured = intended >= w.measureStart
		}
		w.inOp.Store(inOpUnclocked)
		n, err := w.do()
		w.inOp.Store(0)
		w.done.Add(1)
		if !measured {
			continue
		}
		if err != nil && !beyondEOF(err) {
			w.counted.errors++
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		w.counted.ops++
		w.counted.bytes += n
	}
}

// opField is the worker's op for OpStats.Op: empty when the key is the op.
func (w *worker) opField() string {
	if w.key == w.op {
		return ""
	}
	return w.op
}

// pace tells the target the worker may wait for its next op (an open loop's
// pacer): the model's grace periods then need not wait for it.
func (w *worker) pace() {
	if w.idle != nil {
		w.idle()
	}
}

// do runs one op and checks what it returned; it returns the bytes moved.
func (w *worker) do() (int64, error) {
	file := w.files.Next()
	off := w.offsets.Next()
	first := uint64(off / pageSize)
	switch w.kind {
	case oracle.OpRead:
		if w.verify {
			w.oracle.Snapshot(file, first, w.floors)
		}
		var got int
		var err error
		if w.mapped != nil {
			got, err = w.readMapped(file, off)
		} else {
			got, err = w.target.Read(file, off, w.buf)
		}
		if w.verify {
			for i := range w.floors {
				page := w.buf[i*pageSize : (i+1)*pageSize]
				if i*pageSize >= got {
					if err != nil {
						break // a failed read filled nothing past what it returned: nothing to verify
					}
					clear(page) // past EOF during a truncate: what a reader sees is zeros
				}
				w.checker.Check(w.kind, file, first+uint64(i), w.floors[i], page)
			}
		}
		return int64(got), err
	case oracle.OpWrite:
		w.stamp(file, first)
		got, err := w.target.Write(file, off, w.buf)
		w.end(file, first, got)
		return int64(got), err
	case oracle.OpFault:
		if w.verify {
			w.oracle.Snapshot(file, first, w.floors[:1])
		}
		page := w.buf[:pageSize]
		err := w.target.FaultRead(file, off, page)
		if w.verify && err == nil {
			w.checker.Check(w.kind, file, first, w.floors[0], page)
		}
		return pageSize, err
	case oracle.OpMkwrite:
		w.stamp(file, first)
		err := w.target.FaultWrite(file, off, w.buf[:pageSize])
		done := 0
		if err == nil {
			done = pageSize
		}
		w.end(file, first, done)
		return pageSize, err
	case oracle.OpPunch, oracle.OpZero:
		tok := w.oracle.BeginZero(file, first, uint64(w.length/pageSize))
		var err error
		if w.kind == oracle.OpPunch {
			err = w.target.Punch(file, off, w.length)
		} else {
			err = w.target.ZeroRange(file, off, w.length)
		}
		w.endZero(tok, err)
		return 0, err
	case oracle.OpTruncate:
		// Cut the last length bytes and grow back: the tail reads as zeros.
		size := w.fileSize - w.length
		tok := w.oracle.BeginZero(file, uint64(size/pageSize), uint64(w.length/pageSize))
		// Grow back even when the cut failed: a cut that failed writing back has
		// lowered i_size and dropped nothing, and growing restores it.
		err := w.target.Truncate(file, size)
		if gerr := w.target.Truncate(file, w.fileSize); err == nil {
			err = gerr
		}
		w.endZero(tok, err)
		return 0, err
	case oracle.OpAdvise:
		return 0, w.target.Advise(file, off, w.length)
	}
	return 0, fmt.Errorf("unknown op %q", w.op)
}

// readMapped reads into the worker's slot of the mapped user file (so the copy
// to the user buffer faults) and, to verify, loads what landed there into buf.
func (w *worker) readMapped(file int, off int64) (int, error) {
	got, err := w.mapped.ReadToMapping(file, off, len(w.buf), w.userFile, w.userOff)
	if w.verify && got > 0 {
		n := (got + pageSize - 1) / pageSize * pageSize
		if lerr := w.mapped.LoadMapped(w.userFile, w.userOff, w.buf[:n]); lerr != nil && err == nil {
			err = lerr
		}
	}
	return got, err
}

// writtenPages is how many pages a write op of the worker writes: its buffer's,
// or one for a store through a mapping (page_mkwrite).
func (w *worker) writtenPages() int {
	if w.kind == oracle.OpMkwrite {
		return 1
	}
	return len(w.buf) / pageSize
}

// stamp fills the write buffer with the next generation of each page. With
// verify off the buffer is written as it is and the oracle is not told.
func (w *worker) stamp(file int, first uint64) {
	if !w.verify {
		return
	}
	for i := range w.writtenPages() {
		idx := first + uint64(i)
		w.gens[i] = w.oracle.BeginWrite(file, idx)
		oracle.Fill(w.buf[i*pageSize:(i+1)*pageSize], uint32(file+1), idx, w.gens[i])
	}
}

// end closes the write mutations: the first done bytes' pages happened, the rest not.
func (w *worker) end(file int, first uint64, done int) {
	if !w.verify {
		return
	}
	for i := range w.writtenPages() {
		if i*pageSize < done {
			w.oracle.EndWrite(file, first+uint64(i), w.gens[i])
		} else {
			w.oracle.AbortWrite(file, first+uint64(i), w.gens[i])
		}
	}
}

func (w *worker) endZero(tok oracle.ZeroToken, err error) {
	if err != nil {
		w.oracle.AbortZero(tok)
		return
	}
	w.oracle.EndZero(tok)
}

func alignedBuffer(n int) []byte { return blockdev.AlignedBuffer(n) }
