package runner

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/workload"
)

const pageSize = oracle.PageSize

// worker is one thread of a job: it owns everything it touches per op.
type worker struct {
	job  int
	op   string
	kind oracle.OpKind
	w    Worker
	or   *oracle.Oracle
	chk  *oracle.Checker

	verify   bool
	offsets  workload.Offsets
	files    *workload.FilePicker
	pacer    *workload.Pacer
	rec      *workload.Recorder
	length   int64 // punch, zero, truncate and advise range
	fileSize int64

	buf    []byte
	floors []int64
	gens   []uint64

	measureStart, measureEnd time.Time

	_     [64]byte // keep the counters the watchdog reads off the owner's hot lines
	done  atomic.Int64
	inOp  atomic.Int64 // start of the op in flight (UnixNano), 0 between ops
	_     [64]byte
	first error
}

func newWorker(c *config.Config, ji, th int, tg Target, or *oracle.Oracle, start, measureStart, measureEnd time.Time) (*worker, error) {
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
	switch job.Op {
	case "fault", "mkwrite":
		gran = pageSize
	case "punch", "zero", "advise", "truncate":
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
	n := int(job.BS / pageSize)
	return &worker{
		job: ji, op: job.Op, kind: kind, w: w, or: or, chk: or.NewChecker(),
		verify:  or.Level() != oracle.Off,
		offsets: offs, files: workload.NewFilePicker(c.FileIndexes(job), seed),
		pacer: workload.NewPacer(job.Rate, start), rec: workload.NewRecorder(measureStart, c.Interval.D()),
		length: int64(job.Length), fileSize: int64(c.Files.Size),
		buf: alignedBuffer(int(job.BS)), floors: make([]int64, n), gens: make([]uint64, n),
		measureStart: measureStart, measureEnd: measureEnd,
	}, nil
}

// loop runs ops until the context ends or the measurement window closes.
// Latency is measured from the op's intended start (the pacer's schedule), so
// an open loop does not hide queueing (no coordinated omission).
func (w *worker) loop(ctx context.Context) {
	for {
		intended, err := w.pacer.Wait(ctx)
		if err != nil || !intended.Before(w.measureEnd) {
			return
		}
		w.inOp.Store(time.Now().UnixNano())
		n, err := w.do()
		end := time.Now()
		w.inOp.Store(0)
		w.done.Add(1)
		if intended.Before(w.measureStart) {
			continue
		}
		w.rec.Tick(end)
		if err != nil && !beyondEOF(err) {
			w.rec.Error()
			if w.first == nil {
				w.first = err
			}
			continue
		}
		w.rec.Record(end.Sub(intended), n)
	}
}

// do runs one op and checks what it returned; it returns the bytes moved.
func (w *worker) do() (int64, error) {
	file := w.files.Next()
	off := w.offsets.Next()
	first := uint64(off / pageSize)
	switch w.op {
	case "read":
		if w.verify {
			w.or.Snapshot(file, first, w.floors)
		}
		got, err := w.w.Read(file, off, w.buf)
		if w.verify {
			for i := range w.floors {
				page := w.buf[i*pageSize : (i+1)*pageSize]
				if i*pageSize >= got {
					clear(page) // past EOF during a truncate: what a reader sees is zeros
				}
				w.chk.Check(w.kind, file, first+uint64(i), w.floors[i], page)
			}
		}
		return int64(got), err
	case "write":
		w.stamp(file, first)
		got, err := w.w.Write(file, off, w.buf)
		w.end(file, first, got)
		return int64(got), err
	case "fault":
		if w.verify {
			w.or.Snapshot(file, first, w.floors[:1])
		}
		page := w.buf[:pageSize]
		err := w.w.FaultRead(file, off, page)
		if w.verify && err == nil {
			w.chk.Check(w.kind, file, first, w.floors[0], page)
		}
		return pageSize, err
	case "mkwrite":
		w.stamp(file, first)
		err := w.w.FaultWrite(file, off, w.buf[:pageSize])
		done := 0
		if err == nil {
			done = pageSize
		}
		w.end(file, first, done)
		return pageSize, err
	case "punch", "zero":
		tok := w.or.BeginZero(file, first, uint64(w.length/pageSize))
		var err error
		if w.op == "punch" {
			err = w.w.Punch(file, off, w.length)
		} else {
			err = w.w.ZeroRange(file, off, w.length)
		}
		w.endZero(tok, err)
		return 0, err
	case "truncate":
		// Cut the last length bytes and grow back: the tail reads as zeros.
		size := w.fileSize - w.length
		tok := w.or.BeginZero(file, uint64(size/pageSize), uint64(w.length/pageSize))
		err := w.w.Truncate(file, size)
		if err == nil {
			err = w.w.Truncate(file, w.fileSize)
		}
		w.endZero(tok, err)
		return 0, err
	case "advise":
		return 0, w.w.Advise(file, off, w.length)
	}
	return 0, fmt.Errorf("unknown op %q", w.op)
}

// stamp fills the write buffer with the next generation of each page. With
// verify off the buffer is written as it is and the oracle is not told.
func (w *worker) stamp(file int, first uint64) {
	if !w.verify {
		return
	}
	n := len(w.buf) / pageSize
	if w.op == "mkwrite" {
		n = 1
	}
	for i := 0; i < n; i++ {
		idx := first + uint64(i)
		w.gens[i] = w.or.BeginWrite(file, idx)
		oracle.Fill(w.buf[i*pageSize:(i+1)*pageSize], uint32(file+1), idx, w.gens[i])
	}
}

// end closes the write mutations: the first done bytes' pages happened, the rest not.
func (w *worker) end(file int, first uint64, done int) {
	if !w.verify {
		return
	}
	n := len(w.buf) / pageSize
	if w.op == "mkwrite" {
		n = 1
	}
	for i := 0; i < n; i++ {
		if i*pageSize < done {
			w.or.EndWrite(file, first+uint64(i), w.gens[i])
		} else {
			w.or.AbortWrite(file, first+uint64(i), w.gens[i])
		}
	}
}

func (w *worker) endZero(tok oracle.ZeroToken, err error) {
	if err != nil {
		w.or.AbortZero(tok)
		return
	}
	w.or.EndZero(tok)
}

func alignedBuffer(n int) []byte { return blockdev.AlignedBuffer(n) }
